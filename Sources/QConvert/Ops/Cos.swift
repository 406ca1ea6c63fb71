import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Cos: y = cos(x) (radians), elementwise on float32; sinusoidal position embeddings use it.
    enum Cos: Operator {
        static let type = "Cos"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { cosf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Cos: ShapePreserving {}
