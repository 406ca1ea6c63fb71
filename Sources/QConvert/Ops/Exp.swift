import CKernels
import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Exp: y = e^x, elementwise on float32.
    enum Exp: Operator {
        static let type = "Exp"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { FastExp.exp(x) }
            var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { (QC_EXP, 0, 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.unaryFloat(inputs, context, Formula())] }
        }
    }
}

extension Ops.Exp: ShapePreserving {}
