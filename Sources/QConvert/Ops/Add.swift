import CKernels
import QConvertIR

extension Ops {
    /// Add: C = A + B elementwise, with numpy broadcasting (float32, float64, int32, int64; integers wrap
    /// on overflow).
    enum Add: Operator, BinaryArithmetic {
        static let type = "Add"

        static func apply(_ a: Float, _ b: Float) -> Float { a + b }
        static func apply(_ a: Double, _ b: Double) -> Double { a + b }
        static func apply(_ a: Int32, _ b: Int32) -> Int32 { a &+ b }
        static func apply(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
        /// The float formula in CKernels.
        static var vectorized: qc_binary_op? { QC_ADD }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try broadcastingKernel(node, context)
        }
    }
}

extension Ops.Add: Quantizable {
    /// Quantized as arithmetic: adds two activations.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic, activationInputs: [0, 1])
    }
}

extension Ops.Add: BroadcastShaped {}
