import QConvertIR

extension Ops {
    /// Floor: y = the largest integer <= x, elementwise on float32.
    enum Floor: Operator {
        static let type = "Floor"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x.rounded(.down) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Floor: ShapePreserving {}
