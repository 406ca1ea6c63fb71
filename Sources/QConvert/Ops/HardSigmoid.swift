import CKernels
import QConvertIR

extension Ops {
    /// HardSigmoid: y = max(0, min(1, alpha * x + beta)) (alpha 0.2, beta 0.5 by default), elementwise
    /// on float32.
    enum HardSigmoid: Operator {
        static let type = "HardSigmoid"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            let alpha: Float, beta: Float
            func callAsFunction(_ x: Float) -> Float { max(0, min(1, alpha * x + beta)) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { (QC_HARD_SIGMOID, alpha, beta) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let (alpha, beta) = try coefficients(node)
            let formula = Formula(alpha: alpha, beta: beta)
            return Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, formula)] }
        }

        /// alpha and beta, with ONNX's defaults.
        static func coefficients(_ node: Node) throws -> (alpha: Float, beta: Float) {
            (try node.float("alpha", default: 0.2), try node.float("beta", default: 0.5))
        }
    }
}

extension Ops.HardSigmoid: Quantizable {
    /// Quantized as fixedRange: output in [0, 1].
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.fixedRange(lower: 0, upper: 1))
    }
}

extension Ops.HardSigmoid: ShapePreserving {}
