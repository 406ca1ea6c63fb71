import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// ThresholdedRelu: y = x where x > alpha, else 0 (alpha defaults to 1), elementwise on float32.
    enum ThresholdedRelu: Operator {
        static let type = "ThresholdedRelu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float
            func callAsFunction(_ x: Float) -> Float { x > alpha ? x : 0 }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let formula = Formula(alpha: try node.float("alpha", default: 1))
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }
    }
}

extension Ops.ThresholdedRelu: ShapePreserving {}
