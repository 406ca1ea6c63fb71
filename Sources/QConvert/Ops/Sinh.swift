import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Sinh: y = sinh(x), elementwise on float32.
    enum Sinh: Operator {
        static let type = "Sinh"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { sinhf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Sinh: ShapePreserving {}
