/// The integer grid a tensor is quantized to: an integer type, and whether the range is symmetric
/// about zero (zero point 0, or 128 for uint8) or asymmetric (zero point chosen from the range).
///
/// Why observers take it: the best clipping range depends on the grid (how many levels, whether the
/// range must be symmetric). `parameters(for:)` is `QuantParams.covering`, the quantizer's own
/// formula, so the MSE observer models exactly the grid that will be written.
public struct QuantizationScheme: Hashable, Sendable, Codable, CustomStringConvertible {
    public var type: QuantType
    public var symmetric: Bool

    public init(type: QuantType, symmetric: Bool) {
        self.type = type
        self.symmetric = symmetric
    }

    /// uint8 with a zero point: the default for activations (ONNX Runtime's QUInt8 activations).
    public static let uint8Asymmetric = QuantizationScheme(type: .uint8, symmetric: false)
    /// int8 with zero point 0 and scale max|x| / 127: weights, and activations for symmetric back ends.
    public static let int8Symmetric = QuantizationScheme(type: .int8, symmetric: true)

    public var qmin: Int { Int(type.min) }
    public var qmax: Int { Int(type.max) }
    /// Number of integer levels.
    public var levels: Int { qmax - qmin + 1 }

    public var description: String { "\(type) " + (symmetric ? "symmetric" : "asymmetric") }

    /// The range a quantizer covers for `range`: widened to contain 0 (so real zero is exact, as
    /// padding and ReLU need), and for a symmetric grid made `[-m, m]`, `m = max(|lo|, |hi|)`.
    /// A zero bound is +0, never -0.
    public func adjusted(_ range: ClosedRange<Float>) -> ClosedRange<Float> {
        let lo = Swift.min(range.lowerBound, 0) + 0, hi = Swift.max(range.upperBound, 0) + 0
        if symmetric {
            let m = Swift.max(-lo, hi)
            return (0 - m)...m
        }
        return lo...hi
    }

    /// Scale and zero point the quantizer derives from a clipping range.
    public func parameters(for range: ClosedRange<Float>) -> QuantParams {
        QuantParams.covering(lower: range.lowerBound, upper: range.upperBound, type: type, symmetric: symmetric)
    }
}
