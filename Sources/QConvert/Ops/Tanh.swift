import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Tanh: y = tanh(x), elementwise on float32.
    enum Tanh: Operator {
        static let type = "Tanh"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { tanhf(x) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Tanh: Quantizable {
    /// Quantized as fixedRange: output in [-1, 1].
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.fixedRange(lower: -1, upper: 1))
    }
}

extension Ops.Tanh: ShapePreserving {}
