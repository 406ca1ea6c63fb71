import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Log: y = ln(x), elementwise on float32.
    enum Log: Operator {
        static let type = "Log"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { logf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Log: ShapePreserving {}
