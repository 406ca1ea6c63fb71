import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// Mod: elementwise remainder of A / B with numpy broadcasting (torch.onnx exports `%`, e.g. in
    /// attention's patch and window arithmetic). fmod = 0 (the default): the result has the
    /// divisor's sign, as Python's `%` (integers only, as ONNX says and ONNX Runtime enforces);
    /// fmod = 1: C's fmod, the dividend's sign (floats and integers). Types float32, float64, int32,
    /// int64. An integer divisor 0 is an error, as in Div (C++ has undefined behaviour); floats give NaN.
    enum Mod: Operator {
        static let type = "Mod"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let fmod = try node.int("fmod", default: 0)
            guard fmod == 0 || fmod == 1 else { throw QConvertError("fmod must be 0 or 1, got \(fmod)") }
            return Kernel { inputs, context in
                let a = try inputs.required(0, "A"), b = try inputs.required(1, "B")
                if b.dataType == .int32 || b.dataType == .int64, b.integers()?.contains(0) == true {
                    throw QConvertError("integer remainder by zero")
                }
                if fmod == 1 { return [try Broadcast.arithmetic(TruncatedRemainder.self, a, b, threads: context.threads)] }
                guard a.dataType == b.dataType else { throw QConvertError("inputs have different types \(a.dataType) and \(b.dataType)") }
                let plan = try Broadcast([a.shape, b.shape])
                switch a.dataType {
                case .int32: return [plan.map(a, b, to: .int32, threads: context.threads, FlooredRemainder<Int32>())]
                case .int64: return [plan.map(a, b, to: .int64, threads: context.threads, FlooredRemainder<Int64>())]
                case .float, .double: throw QConvertError("fmod = 0 needs integer inputs; \(a.dataType) inputs need fmod = 1")
                default: throw QConvertError("\(a.dataType) inputs are not supported (float32, float64, int32, int64 are)")
                }
            }
        }

        /// a - trunc(a / b) * b: the dividend's sign (C's fmod and `%`).
        enum TruncatedRemainder: BinaryArithmetic {
            static func apply(_ a: Float, _ b: Float) -> Float { fmodf(a, b) }
            static func apply(_ a: Double, _ b: Double) -> Double { fmod(a, b) }
            static func apply(_ a: Int32, _ b: Int32) -> Int32 { remainder(a, b) }
            static func apply(_ a: Int64, _ b: Int64) -> Int64 { remainder(a, b) }
        }

        /// a - floor(a / b) * b: the divisor's sign (Python's `%`).
        struct FlooredRemainder<T: FixedWidthInteger & Swift.SignedInteger & TensorElement>: BinaryFunction {
            func callAsFunction(_ a: T, _ b: T) -> T {
                let r = remainder(a, b)
                return r != 0 && (r < 0) != (b < 0) ? r &+ b : r
            }
        }

        /// The truncated remainder; T.min % -1, where Swift's `%` traps on the quotient's overflow, is 0.
        static func remainder<T: FixedWidthInteger>(_ a: T, _ b: T) -> T {
            let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
            return overflow ? 0 : r
        }
    }
}

extension Ops.Mod: BroadcastShaped {}
