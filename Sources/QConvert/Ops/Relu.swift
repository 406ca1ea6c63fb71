import CKernels
import QConvertIR

extension Ops {
    /// Relu: y = max(x, 0), elementwise on float32.
    enum Relu: Operator {
        static let type = "Relu"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { max(x, 0) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { (QC_RELU, 0, 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Relu: Quantizable {
    /// Quantized as passThrough: max(x, 0) of a quantized x is exact on the same grid (0 is on every grid).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Relu: ShapePreserving {}
