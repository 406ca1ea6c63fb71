import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Atanh: y = atanh(x), elementwise on float32 (±infinity at ±1, NaN beyond).
    enum Atanh: Operator {
        static let type = "Atanh"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { atanhf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Atanh: ShapePreserving {}
