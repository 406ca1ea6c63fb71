import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Mish: y = x · tanh(softplus(x)) (YOLOv4's activation), softplus as in Softplus, elementwise on float32.
    enum Mish: Operator {
        static let type = "Mish"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x * tanhf(Softplus.Formula()(x)) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Mish: ShapePreserving {}
