import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Elu: y = x for x >= 0, alpha * (e^x - 1) otherwise (alpha defaults to 1), elementwise on float32.
    enum Elu: Operator {
        static let type = "Elu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float
            func callAsFunction(_ x: Float) -> Float { x >= 0 ? x : alpha * (expf(x) - 1) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(alpha: try node.float("alpha", default: 1))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.Elu: ShapePreserving {}
