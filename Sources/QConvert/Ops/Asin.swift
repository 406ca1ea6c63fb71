import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Asin: y = asin(x), in radians, elementwise on float32 (NaN outside [-1, 1]).
    enum Asin: Operator {
        static let type = "Asin"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { asinf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Asin: ShapePreserving {}
