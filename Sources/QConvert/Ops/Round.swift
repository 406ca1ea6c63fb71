import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Round: y = x rounded to the nearest integer, halves to even (as ONNX says), elementwise on float32.
    enum Round: Operator {
        static let type = "Round"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x.rounded(.toNearestOrEven) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Round: ShapePreserving {}
