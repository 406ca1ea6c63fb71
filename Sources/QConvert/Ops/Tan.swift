import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Tan: y = tan(x) (radians), elementwise on float32.
    enum Tan: Operator {
        static let type = "Tan"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { tanf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Tan: ShapePreserving {}
