import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Pow: Z = X ^ Y elementwise, with numpy broadcasting. Z has X's type (float32, float64, int32,
    /// int64); Y may have another numeric type and is converted to X's when X is floating. An integer X
    /// is raised in float64 and truncated back, as ONNX Runtime does (2 ^ -1 = 0).
    enum Pow: Operator, BinaryArithmetic {
        static let type = "Pow"

        static func apply(_ a: Float, _ b: Float) -> Float { powf(a, b) }
        static func apply(_ a: Double, _ b: Double) -> Double { pow(a, b) }
        static func apply(_ a: Int32, _ b: Int32) -> Int32 {
            Int32(truncatingIfNeeded: Conversion.truncate(pow(Double(a), Double(b))))
        }
        static func apply(_ a: Int64, _ b: Int64) -> Int64 { Conversion.truncate(pow(Double(a), Double(b))) }

        /// y = x * x (the exponent-2 fast path), as a value the shared loop specialises on.
        struct Square: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x * x }
        }

        /// y = x * x * x (the exponent-3 fast path), as a value the shared loop specialises on.
        struct Cube: UnaryFunction {
            func callAsFunction(_ x: Float) -> Float { x * x * x }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let legacy = try LegacyBroadcast(node, context)
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X"), y = try legacy.align(x, inputs.required(1, "Y"))
                let threads = context.threads
                switch (x.dataType, y.dataType) {
                case (.float, .float) where y.count == 1:
                    // Squares and cubes (LayerNorm's variance, GELU's tanh form) multiply, like ORT.
                    let exponent = y.scalars(of: Float.self)[0]
                    let plan = try Broadcast([x.shape, y.shape])
                    if exponent == 2 { return [Elementwise.map(x, threads: threads, Square()).reshaped(plan.shape)] }
                    if exponent == 3 { return [Elementwise.map(x, threads: threads, Cube()).reshaped(plan.shape)] }
                    return [try Broadcast.arithmetic(Pow.self, x, y, threads: threads)]
                case (.float, _), (.double, _):
                    return [try Broadcast.arithmetic(Pow.self, x, Conversion.convert(y, to: x.dataType), threads: threads)]
                case (.int32, .int32), (.int64, .int64):
                    return [try Broadcast.arithmetic(Pow.self, x, y, threads: threads)]
                case (.int32, _), (.int64, _):
                    let base = try Conversion.convert(x, to: .double), exponent = try Conversion.convert(y, to: .double)
                    return [try Conversion.convert(Broadcast.arithmetic(Pow.self, base, exponent, threads: threads), to: x.dataType)]
                default:
                    throw QConvertError("base of type \(x.dataType) is not supported (float32, float64, int32, int64 are)")
                }
            }
        }
    }
}

extension Ops.Pow: BroadcastShaped {}
