import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Softsign: y = x / (1 + |x|), elementwise on float32.
    enum Softsign: Operator {
        static let type = "Softsign"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x / (1 + abs(x)) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Softsign: ShapePreserving {}
