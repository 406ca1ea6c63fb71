import QConvertIR

extension Ops {
    /// Shrink: y = x + bias for x < -lambd, x - bias for x > lambd, 0 otherwise (lambd 0.5, bias 0 by
    /// default), elementwise on float32.
    enum Shrink: Operator {
        static let type = "Shrink"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let lambd: Float, bias: Float
            func callAsFunction(_ x: Float) -> Float { x < -lambd ? x + bias : (x > lambd ? x - bias : 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(lambd: try node.float("lambd", default: 0.5), bias: try node.float("bias", default: 0))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.Shrink: ShapePreserving {}
