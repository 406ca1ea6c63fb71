import CKernels
import QConvertIR

extension Ops {
    /// Div: C = A / B elementwise, with numpy broadcasting (float32, float64, int32, int64). Integer
    /// division truncates toward zero as C++ does; an integer divisor of zero is an error, not a trap.
    enum Div: Operator, BinaryArithmetic {
        static let type = "Div"

        static func apply(_ a: Float, _ b: Float) -> Float { a / b }
        static func apply(_ a: Double, _ b: Double) -> Double { a / b }
        static func apply(_ a: Int32, _ b: Int32) -> Int32 { a.dividedReportingOverflow(by: b).partialValue }
        static func apply(_ a: Int64, _ b: Int64) -> Int64 { a.dividedReportingOverflow(by: b).partialValue }
        /// The float formula in CKernels.
        static var vectorized: qc_binary_op? { QC_DIV }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try broadcastingKernel(node, context) { _, b in
                if b.dataType == .int32 || b.dataType == .int64, b.integers()?.contains(0) == true {
                    throw QConvertError("integer division by zero")
                }
            }
        }
    }
}

extension Ops.Div: Quantizable {
    /// Quantized as arithmetic: divides two activations.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic, activationInputs: [0, 1])
    }
}

extension Ops.Div: BroadcastShaped {}
