import QConvertIR

extension Ops {
    /// Identity: y = x (shares storage; tensors are immutable).
    enum Identity: Operator {
        static let type = "Identity"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in
                guard let x = inputs.first ?? nil else { throw QConvertError("missing input") }
                return [x]
            }
        }
    }
}

extension Ops.Identity: Quantizable {
    /// Quantized as passThrough: passes values through.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Identity: ShapeInferable {
    /// The input itself, elements included.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { [query.inputs.first ?? nil] }
}
