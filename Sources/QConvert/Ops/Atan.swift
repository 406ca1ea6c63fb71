import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Atan: y = atan(x), in radians, elementwise on float32.
    enum Atan: Operator {
        static let type = "Atan"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { atanf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Atan: ShapePreserving {}
