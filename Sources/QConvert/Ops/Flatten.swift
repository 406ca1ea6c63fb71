import QConvertIR

extension Ops {
    /// Flatten: the same elements as a matrix [product of dims before axis, product of dims from axis
    /// on] (no copy); axis defaults to 1 and may equal the rank (giving [count, 1]).
    enum Flatten: Operator {
        static let type = "Flatten"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 1)
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard axis >= -x.rank && axis <= x.rank else { throw QConvertError("axis \(axis) is out of range for rank \(x.rank)") }
                let split = axis < 0 ? axis + x.rank : axis
                return [x.reshaped([x.shape[..<split].reduce(1, *), x.shape[split...].reduce(1, *)])]
            }
        }
    }
}

extension Ops.Flatten: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Flatten: ShapeInferable {
    /// [product of dims before axis, product of dims from axis on].
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        let axis = try query.node.int("axis", default: 1)
        guard axis >= -x.count && axis <= x.count else { throw QConvertError("axis \(axis) is out of range for rank \(x.count)") }
        let split = axis < 0 ? axis + x.count : axis
        return [ValueFacts(type, [Dim.product(x[..<split]), Dim.product(x[split...])])]
    }
}
