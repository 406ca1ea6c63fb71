import QConvertIR

extension Ops {
    /// Max: y = max(x0, x1, ...) elementwise over any number of inputs, with numpy broadcasting
    /// (float32, float64, int32, int64).
    enum Max: Operator, BinaryArithmetic {
        static let type = "Max"

        static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) }
        static func apply(_ a: Double, _ b: Double) -> Double { Swift.max(a, b) }
        static func apply(_ a: Int32, _ b: Int32) -> Int32 { Swift.max(a, b) }
        static func apply(_ a: Int64, _ b: Int64) -> Int64 { Swift.max(a, b) }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Broadcast.fold(Max.self, inputs, threads: context.threads)] }
        }
    }
}

extension Ops.Max: BroadcastShaped {}
