import CKernels
import QConvertIR

extension Ops {
    /// HardSwish: y = x * max(0, min(1, x / 6 + 0.5)), elementwise on float32.
    enum HardSwish: Operator {
        static let type = "HardSwish"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x * max(0, min(1, x * (1 / 6) + 0.5)) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { (QC_HARD_SWISH, 0, 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.HardSwish: Quantizable {
    /// Quantized as arithmetic: x * HardSigmoid(x).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic)
    }
}

extension Ops.HardSwish: ShapePreserving {}
