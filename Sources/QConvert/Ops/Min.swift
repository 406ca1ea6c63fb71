import QConvertIR

extension Ops {
    /// Min: y = min(x0, x1, ...) elementwise over any number of inputs, with numpy broadcasting
    /// (float32, float64, int32, int64).
    enum Min: Operator, BinaryArithmetic {
        static let type = "Min"

        static func apply(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) }
        static func apply(_ a: Double, _ b: Double) -> Double { Swift.min(a, b) }
        static func apply(_ a: Int32, _ b: Int32) -> Int32 { Swift.min(a, b) }
        static func apply(_ a: Int64, _ b: Int64) -> Int64 { Swift.min(a, b) }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Broadcast.fold(Min.self, inputs, threads: context.threads)] }
        }
    }
}

extension Ops.Min: BroadcastShaped {}
