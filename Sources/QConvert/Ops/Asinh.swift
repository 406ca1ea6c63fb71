import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Asinh: y = asinh(x), elementwise on float32.
    enum Asinh: Operator {
        static let type = "Asinh"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { asinhf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Asinh: ShapePreserving {}
