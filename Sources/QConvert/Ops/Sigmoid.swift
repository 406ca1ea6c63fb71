import CKernels
import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Sigmoid: y = 1 / (1 + e^-x), elementwise on float32.
    enum Sigmoid: Operator {
        static let type = "Sigmoid"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { 1 / (1 + FastExp.exp(-x)) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { (QC_SIGMOID, 0, 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Sigmoid: Quantizable {
    /// Quantized as fixedRange: output in [0, 1].
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.fixedRange(lower: 0, upper: 1))
    }
}

extension Ops.Sigmoid: ShapePreserving {}
