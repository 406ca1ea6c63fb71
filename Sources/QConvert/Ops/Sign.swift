import QConvertIR

extension Ops {
    /// Sign: y = -1, 0 or 1 as x is negative, zero or positive (NaN stays NaN), elementwise on float32,
    /// float64 and signed integers.
    enum Sign: Operator {
        static let type = "Sign"

        /// The formula for floating-point elements, as a value the shared loop specialises on.
        struct Real<T: TensorElement & FloatingPoint>: UnaryFunction {
            func callAsFunction(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
        }

        /// The formula for integer elements, as a value the shared loop specialises on.
        struct Integer<T: TensorElement & FixedWidthInteger>: UnaryFunction {
            func callAsFunction(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.required(0, "input"), threads = context.threads
                switch x.dataType {
                case .float: return [Elementwise.map(x, threads: threads, Real<Float>())]
                case .double: return [Elementwise.map(x, threads: threads, Real<Double>())]
                case .int8: return [Elementwise.map(x, threads: threads, Integer<Int8>())]
                case .int16: return [Elementwise.map(x, threads: threads, Integer<Int16>())]
                case .int32: return [Elementwise.map(x, threads: threads, Integer<Int32>())]
                case .int64: return [Elementwise.map(x, threads: threads, Integer<Int64>())]
                default: throw QConvertError("\(x.dataType) input is not supported")
                }
            }
        }
    }
}

extension Ops.Sign: ShapePreserving {}
