import QConvertIR

extension Ops {
    /// Range: the 1-D sequence start, start + delta, ... of the max(ceil((limit - start) / delta), 0)
    /// values before limit, built by repeated addition as ONNX's definition (and ORT) do. float32,
    /// float64, int16, int32 and int64 scalars of one type.
    enum Range: Operator {
        static let type = "Range"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in
                let (start, limit, delta) = try (inputs.required(0, "start"), inputs.required(1, "limit"), inputs.required(2, "delta"))
                return [try sequence(start, limit, delta, try elementType(start, limit, delta))]
            }
        }

        /// The element type of start, limit and delta, which must be scalars of one supported type.
        static func elementType(_ start: Tensor, _ limit: Tensor, _ delta: Tensor) throws -> any RangeElement.Type {
            guard limit.dataType == start.dataType, delta.dataType == start.dataType,
                  start.count == 1, limit.count == 1, delta.count == 1 else {
                throw QConvertError("start, limit and delta must be scalars of one type")
            }
            switch start.dataType {
            case .float: return Float.self
            case .double: return Double.self
            case .int16: return Int16.self
            case .int32: return Int32.self
            case .int64: return Int64.self
            default: throw QConvertError("\(start.dataType) is not supported")
            }
        }

        /// The sequence's length, ceil(`T.steps(start, limit, delta)`) and at least 0, for scalars read as `T`.
        static func length<T: RangeElement>(_ start: Tensor, _ limit: Tensor, _ delta: Tensor, _ type: T.Type) throws -> Int {
            let step = delta.scalars(of: T.self)[0]
            guard step != 0 else { throw QConvertError("delta must not be 0") }
            let length = T.steps(start.scalars(of: T.self)[0], limit.scalars(of: T.self)[0], step).rounded(.up)
            guard !(length > Double(ShapeCount.limit)), !length.isNaN else { throw QConvertError("the range has \(length) elements") }
            return length > 0 ? Int(length) : 0
        }

        /// The sequence for scalars read as `T`.
        static func sequence<T: RangeElement>(_ start: Tensor, _ limit: Tensor, _ delta: Tensor, _ type: T.Type) throws -> Tensor {
            let count = try length(start, limit, delta, type)
            let first = start.scalars(of: T.self)[0], step = delta.scalars(of: T.self)[0]
            return Tensor(shape: [count], of: T.self) { out in
                var value = first
                for i in 0..<count {
                    out[i] = value
                    value = T.adding(value, step)
                }
            }
        }
    }
}

extension Ops.Range: ShapeInferable {
    /// A 1-D list of start's type, its length counted as the kernel counts it when all three are known.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [nil] }
        guard let start = query.tensor(0), let limit = query.tensor(1), let delta = query.tensor(2) else { return [ValueFacts(type, [.unknown])] }
        return [ValueFacts(type, [.value(try length(start, limit, delta, try elementType(start, limit, delta)))])]
    }
}

/// An element type Range generates, with its step count and addition as ORT computes them.
protocol RangeElement: TensorElement & Numeric {
    /// (limit - start) / delta in float64.
    static func steps(_ start: Self, _ limit: Self, _ delta: Self) -> Double
    /// a + b (wrapping for integers).
    static func adding(_ a: Self, _ b: Self) -> Self
}

extension RangeElement where Self: BinaryFloatingPoint {
    /// limit - start is taken in the element's own precision, like ORT.
    static func steps(_ start: Self, _ limit: Self, _ delta: Self) -> Double { Double(limit - start) / Double(delta) }
    static func adding(_ a: Self, _ b: Self) -> Self { a + b }
}

extension RangeElement where Self: FixedWidthInteger {
    /// limit - start is taken in float64, so the difference cannot overflow.
    static func steps(_ start: Self, _ limit: Self, _ delta: Self) -> Double { (Double(limit) - Double(start)) / Double(delta) }
    static func adding(_ a: Self, _ b: Self) -> Self { a &+ b }
}

extension Float: RangeElement {}
extension Double: RangeElement {}
extension Int16: RangeElement {}
extension Int32: RangeElement {}
extension Int64: RangeElement {}
