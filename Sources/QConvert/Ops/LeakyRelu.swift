import QConvertIR

extension Ops {
    /// LeakyRelu: y = x for x >= 0, alpha * x otherwise (alpha defaults to 0.01), elementwise on float32.
    enum LeakyRelu: Operator {
        static let type = "LeakyRelu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float
            func callAsFunction(_ x: Float) -> Float { x >= 0 ? x : alpha * x }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(alpha: try node.float("alpha", default: 0.01))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.LeakyRelu: Quantizable {
    /// Quantized as arithmetic: scales negative values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic)
    }
}

extension Ops.LeakyRelu: ShapePreserving {}
