import QConvertIR

extension Ops {
    /// Range: the 1-D sequence start, start + delta, ... of the max(ceil((limit - start) / delta), 0)
    /// values before limit, built by repeated addition as ONNX's definition (and ORT) do. float32,
    /// float64, int16, int32 and int64 scalars of one type.
    enum Range: Operator {
        static let type = "Range"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in
                let start = try inputs.required(0, "start"), limit = try inputs.required(1, "limit")
                let delta = try inputs.required(2, "delta")
                guard limit.dataType == start.dataType, delta.dataType == start.dataType,
                      start.count == 1, limit.count == 1, delta.count == 1 else {
                    throw QConvertError("start, limit and delta must be scalars of one type")
                }
                switch start.dataType {
                case .float: return [try sequence(start, limit, delta, Float.self, { Double($1 - $0) / Double($2) }) { $0 + $1 }]
                case .double: return [try sequence(start, limit, delta, Double.self, { ($1 - $0) / $2 }) { $0 + $1 }]
                case .int16: return [try sequence(start, limit, delta, Int16.self, steps) { $0 &+ $1 }]
                case .int32: return [try sequence(start, limit, delta, Int32.self, steps) { $0 &+ $1 }]
                case .int64: return [try sequence(start, limit, delta, Int64.self, steps) { $0 &+ $1 }]
                default: throw QConvertError("\(start.dataType) is not supported")
                }
            }
        }

        /// (limit - start) / delta for integers, in float64 so the difference cannot overflow.
        static func steps<T: BinaryInteger>(_ start: T, _ limit: T, _ delta: T) -> Double {
            (Double(limit) - Double(start)) / Double(delta)
        }

        /// The sequence for scalars read as `T`. Its length is ceil(`steps(start, limit, delta)`),
        /// where floating types take limit - start in T, like ORT.
        static func sequence<T: TensorElement & Numeric>(
            _ start: Tensor, _ limit: Tensor, _ delta: Tensor, _ type: T.Type, _ steps: (T, T, T) -> Double, add: (T, T) -> T
        ) throws -> Tensor {
            let first = start.scalars(of: T.self)[0], last = limit.scalars(of: T.self)[0], step = delta.scalars(of: T.self)[0]
            guard step != 0 else { throw QConvertError("delta must not be 0") }
            let length = steps(first, last, step).rounded(.up)
            guard !(length > Double(ShapeCount.limit)), !length.isNaN else { throw QConvertError("the range has \(length) elements") }
            let count = length > 0 ? Int(length) : 0
            return Tensor(shape: [count], of: T.self) { out in
                var value = first
                for i in 0..<count {
                    out[i] = value
                    value = add(value, step)
                }
            }
        }
    }
}
