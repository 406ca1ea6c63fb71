import QConvertIR

extension Ops {
    /// Selu: y = gamma * x for x > 0, gamma * alpha * (e^x - 1) otherwise (alpha ≈ 1.6733,
    /// gamma ≈ 1.0507 by default), elementwise on float32.
    enum Selu: Operator {
        static let type = "Selu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float, gamma: Float
            func callAsFunction(_ x: Float) -> Float { x > 0 ? gamma * x : gamma * alpha * (FastExp.exp(x) - 1) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(alpha: try node.float("alpha", default: 1.673_263_192_176_818_847_656_25),
                                  gamma: try node.float("gamma", default: 1.050_701_022_148_132_324_218_75))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.Selu: ShapePreserving {}
