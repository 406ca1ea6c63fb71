import QConvertIR

extension Ops {
    /// Swish (opset 24): y = x · sigmoid(alpha · x), elementwise on float32 (alpha default 1: SiLU).
    enum Swish: Operator {
        static let type = "Swish"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float
            func callAsFunction(_ x: Float) -> Float { x * Sigmoid.Formula()(alpha * x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let alpha = try node.float("alpha", default: 1)
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula(alpha: alpha))] }
        }
    }
}

extension Ops.Swish: ShapePreserving {}
