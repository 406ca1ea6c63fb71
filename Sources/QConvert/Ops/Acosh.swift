import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Acosh: y = acosh(x), elementwise on float32 (NaN below 1).
    enum Acosh: Operator {
        static let type = "Acosh"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { acoshf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Acosh: ShapePreserving {}
