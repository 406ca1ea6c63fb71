import QConvertIR

extension Ops {
    /// Reciprocal: y = 1 / x, elementwise on float32.
    enum Reciprocal: Operator {
        static let type = "Reciprocal"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { 1 / x }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Reciprocal: ShapePreserving {}
