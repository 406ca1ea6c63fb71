import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Gelu (opset 20): y = 0.5 x (1 + erf(x / sqrt(2))), or with `approximate = "tanh"`
    /// y = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), elementwise on float32.
    enum Gelu: Operator {
        static let type = "Gelu"

        /// The erf form, as a value the shared loop specialises on.
        struct Exact: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + erff(x * Float(0.5.squareRoot()))) }
        }

        /// The tanh form, as a value the shared loop specialises on.
        struct TanhApproximation: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float {
                0.5 * x * (1 + tanhf(Float((2 / Double.pi).squareRoot()) * (x + 0.044715 * x * x * x)))
            }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            switch try node.string("approximate", default: "none") {
            case "none": return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Exact())] }
            case "tanh": return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, TanhApproximation())] }
            case let other: throw QConvertError("approximate must be \"none\" or \"tanh\", got \"\(other)\"")
            }
        }
    }
}

extension Ops.Gelu: ShapePreserving {}
