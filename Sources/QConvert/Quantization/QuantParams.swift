import QConvertIR

/// The scale and zero point of one quantized tensor (one pair per channel when per-axis), and the
/// integer type they are for.
public struct QuantParams: Codable, Sendable, Equatable {
    public var type: QuantType
    public var scales: [Float]
    public var zeroPoints: [Int32]
    /// The channel axis for per-axis parameters; nil for per-tensor.
    public var axis: Int?

    public init(type: QuantType, scales: [Float], zeroPoints: [Int32], axis: Int? = nil) {
        self.type = type
        self.scales = scales
        self.zeroPoints = zeroPoints
        self.axis = axis
    }

    /// The smallest scale qconvert writes: the smallest normal float32.
    public static let smallestScale = Float.leastNormalMagnitude

    /// Parameters covering [lower, upper] on `type`'s grid. The range is first widened to include 0
    /// so that real zero is exactly representable (zero padding and ReLU outputs stay exact):
    ///     asymmetric: scale = (upper - lower) / (qmax - qmin), zero_point = qmin - round(lower / scale)
    ///     symmetric:  scale = max(|lower|, |upper|) / qmax_symmetric, zero_point = 0 (128 for uint8)
    /// A scale is at least `smallestScale`: a range of subnormal width (seen in a hostile model)
    /// would otherwise give scale 0, and a zero point of 0/0.
    public static func covering(lower: Float, upper: Float, type: QuantType, symmetric: Bool) -> QuantParams {
        let lo = min(lower, 0), hi = max(upper, 0)
        if symmetric {
            let bound = max(abs(lo), abs(hi))
            let scale = bound > 0 ? max(bound / Float(type.symmetricMax), smallestScale) : 1
            return QuantParams(type: type, scales: [scale], zeroPoints: [type == .uint8 ? 128 : 0])
        }
        guard hi > lo else { return QuantParams(type: type, scales: [1], zeroPoints: [0]) }
        // A span past Float's range (values near ±3e38) would make the scale infinite and every
        // dequantized value NaN: divide first then.
        let levels = Float(type.max - type.min), span = hi - lo
        let scale = max(span.isFinite ? span / levels : hi / levels - lo / levels, smallestScale)
        let zero = Float(type.min) - (lo / scale).rounded(.toNearestOrEven)
        let clamped = Int32(min(max(zero, Float(type.min)), Float(type.max)))
        return QuantParams(type: type, scales: [scale], zeroPoints: [clamped])
    }

    /// The real value range the grid covers: [(qmin - z) s, (qmax - z) s] (first channel).
    public var coveredRange: ClosedRange<Float> {
        let s = scales[0], z = Float(zeroPoints[0])
        return ((Float(type.min) - z) * s)...((Float(type.max) - z) * s)
    }
}

/// The integer types qconvert quantizes to.
public enum QuantType: String, Codable, Sendable, CaseIterable {
    case uint8
    case int8
    case int32

    public var dataType: DataType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .int32: .int32
        }
    }

    public var min: Int64 {
        switch self {
        case .uint8: 0
        case .int8: -128
        case .int32: Int64(Int32.min)
        }
    }

    public var max: Int64 {
        switch self {
        case .uint8: 255
        case .int8: 127
        case .int32: Int64(Int32.max)
        }
    }

    /// A tensor of this type holding `values` (each in range), e.g. zero points.
    func tensor(shape: [Int], _ values: [Int32]) -> Tensor {
        switch self {
        case .uint8: Tensor(shape: shape, scalars: values.map { UInt8($0) })
        case .int8: Tensor(shape: shape, scalars: values.map { Int8($0) })
        case .int32: Tensor(shape: shape, scalars: values)
        }
    }

    /// Largest magnitude of a symmetric grid: 127 for int8 (so -127...127, keeping the grid symmetric).
    public var symmetricMax: Int64 {
        switch self {
        case .uint8: 127
        case .int8: 127
        case .int32: Int64(Int32.max)
        }
    }
}
