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

extension Ops.Unsqueeze: ShapeInferable {
    /// The input's shape with 1s inserted at the listed axes (of the output's rank). A list keeps its elements.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0), let listed = try query.list("axes", input: 1, inputSince: 13),
              let listed else { return [nil] }
        let inserted = try Axes.normalize(listed, rank: x.count + listed.count)
        var rest = x.makeIterator()
        let shape = (0..<(x.count + listed.count)).map { inserted.contains($0) ? .value(1) : rest.next()! }
        return [ValueFacts(type, shape, elements: query.elements(0))]
    }
}
