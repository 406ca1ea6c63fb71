import QConvertIR

extension Ops {
    /// Ceil: y = the smallest integer >= x, elementwise on float32.
    enum Ceil: Operator {
        static let type = "Ceil"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x.rounded(.up) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Ceil: ShapePreserving {}
