import QConvertIR

extension Ops {
    /// ConstantOfShape: a tensor of the given shape with every element equal to the one-element
    /// `value` attribute (float32 0 by default), of value's type.
    enum ConstantOfShape: Operator {
        static let type = "ConstantOfShape"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let value: Tensor
            switch node.attribute("value") {
            case .tensor(let tensor)?:
                guard tensor.count == 1 else { throw QConvertError("value must have one element, got shape \(tensor.shape)") }
                value = tensor
            case nil: value = Tensor(scalar: Float(0))
            default: throw QConvertError("attribute 'value' must be a tensor")
            }
            return Kernel { inputs, context in
                let shape = try inputs.required(0, "input").intValues("input")
                _ = try ShapeCount.of(shape)
                return [try StridedCopy.copy(value, shape: shape, strides: shape.map { _ in 0 }, offset: 0, threads: context.threads)]
            }
        }
    }
}

extension Ops.ConstantOfShape: ShapeInferable {
    /// The shape listed in the input, of `value`'s type (float32 by default).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let shape = query.elements(0) else { return [nil] }
        if case .tensor(let value)? = query.node.attribute("value") { return [ValueFacts(value.dataType, shape)] }
        return [ValueFacts(.float, shape)]
    }
}
