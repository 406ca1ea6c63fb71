import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Softplus: y = ln(1 + e^x), elementwise on float32, evaluated as x + ln(1 + e^-x) for x > 0 so
    /// large inputs do not overflow (ONNX Runtime's form).
    enum Softplus: Operator {
        static let type = "Softplus"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Softplus: ShapePreserving {}
