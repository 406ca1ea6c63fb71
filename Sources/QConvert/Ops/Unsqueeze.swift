import QConvertIR

extension Ops {
    /// Unsqueeze: inserts size-1 dims at the listed axes of the output (no copy). Axes are an attribute
    /// before opset 13, an input from 13, and count in the output's rank.
    enum Unsqueeze: Operator {
        static let type = "Unsqueeze"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axes = try IntListArgument(node, context, name: "axes", input: 1, inputSince: 13)
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "data")
                guard let listed = try axes.value(inputs, name: "axes") else { throw QConvertError("axes are required") }
                let inserted = try Axes.normalize(listed, rank: x.rank + listed.count)
                var rest = x.shape.makeIterator()
                let shape = (0..<(x.rank + listed.count)).map { inserted.contains($0) ? 1 : rest.next()! }
                return [x.reshaped(shape)]
            }
        }
    }
}

extension Ops.Unsqueeze: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}
