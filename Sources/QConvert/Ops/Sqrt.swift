import QConvertIR

extension Ops {
    /// Sqrt: y = sqrt(x), elementwise on float32.
    enum Sqrt: Operator {
        static let type = "Sqrt"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x.squareRoot() }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Sqrt: ShapePreserving {}
