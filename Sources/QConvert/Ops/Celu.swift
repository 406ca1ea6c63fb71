import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Celu: y = max(0, x) + min(0, alpha · (e^(x / alpha) − 1)) (alpha defaults to 1), elementwise on float32.
    enum Celu: Operator {
        static let type = "Celu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float
            func callAsFunction(_ x: Float) -> Float { max(0, x) + min(0, alpha * (expf(x / alpha) - 1)) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(alpha: try node.float("alpha", default: 1))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.Celu: ShapePreserving {}
