import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Acos: y = acos(x), in radians, elementwise on float32 (NaN outside [-1, 1]).
    enum Acos: Operator {
        static let type = "Acos"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { acosf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Acos: ShapePreserving {}
