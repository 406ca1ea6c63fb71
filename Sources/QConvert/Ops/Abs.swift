import QConvertIR

extension Ops {
    /// Abs: y = |x|, elementwise on float32, float64 and integers (the most negative signed integer
    /// wraps to itself, as in C++; unsigned inputs are returned as they are).
    enum Abs: Operator {
        static let type = "Abs"

        /// The formula for floating-point elements, as a value the shared loop specialises on.
        struct Real<T: TensorElement & FloatingPoint>: UnaryFunction {
            func callAsFunction(_ x: T) -> T { abs(x) }
        }

        /// The formula for integer elements, as a value the shared loop specialises on.
        struct Integer<T: TensorElement & FixedWidthInteger>: UnaryFunction {
            func callAsFunction(_ x: T) -> T { x < 0 ? 0 &- x : x }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.required(0, "X"), threads = context.threads
                switch x.dataType {
                case .float: return [Elementwise.map(x, threads: threads, Real<Float>())]
                case .double: return [Elementwise.map(x, threads: threads, Real<Double>())]
                case .int8: return [Elementwise.map(x, threads: threads, Integer<Int8>())]
                case .int16: return [Elementwise.map(x, threads: threads, Integer<Int16>())]
                case .int32: return [Elementwise.map(x, threads: threads, Integer<Int32>())]
                case .int64: return [Elementwise.map(x, threads: threads, Integer<Int64>())]
                case .uint8, .uint16, .uint32, .uint64: return [x]
                default: throw QConvertError("\(x.dataType) input is not supported")
                }
            }
        }
    }
}

extension Ops.Abs: ShapePreserving {}
