/// The integer grid a tensor is quantized to: `q = clamp(round(x / scale) + zeroPoint, qmin, qmax)`.
///
/// Why observers take it: the best clipping range depends on the grid (how many levels, whether the
/// range must be symmetric about zero). `parameters(for:)` is the one place a range becomes a scale
/// and zero point, so the MSE observer models exactly the grid the quantizer will write.
public struct QuantizationScheme: Hashable, Sendable, Codable, CustomStringConvertible {
    public var qmin: Int
    public var qmax: Int
    /// Symmetric: the range is `[-m, m]` and the zero point is the grid's middle (0 for int8).
    public var symmetric: Bool

    public init(qmin: Int, qmax: Int, symmetric: Bool) {
        precondition(qmin < qmax, "empty integer grid")
        self.qmin = qmin
        self.qmax = qmax
        self.symmetric = symmetric
    }

    /// uint8 with a zero point: the default for activations (ONNX Runtime's QUInt8 activations).
    public static let uint8Asymmetric = QuantizationScheme(qmin: 0, qmax: 255, symmetric: false)
    /// int8 in [-127, 127] with zero point 0: weights, and activations for symmetric back ends
    /// (the grid ONNX Runtime uses for symmetric int8, so that -m and m are both representable).
    public static let int8Symmetric = QuantizationScheme(qmin: -127, qmax: 127, symmetric: true)

    /// Number of integer levels.
    public var levels: Int { qmax - qmin + 1 }

    public var description: String {
        "[\(qmin), \(qmax)] " + (symmetric ? "symmetric" : "asymmetric")
    }

    /// The range a quantizer actually uses for `range`: widened to contain 0 (so real zero is exact,
    /// as padding and ReLU need), and for a symmetric grid made `[-m, m]`, `m = max(|lo|, |hi|)`.
    /// A zero bound is +0, never -0.
    public func adjusted(_ range: ClosedRange<Float>) -> ClosedRange<Float> {
        let lo = Swift.min(range.lowerBound, 0) + 0, hi = Swift.max(range.upperBound, 0) + 0
        if symmetric {
            let m = Swift.max(-lo, hi)
            return (0 - m)...m
        }
        return lo...hi
    }

    /// Scale and zero point for a clipping range, as ONNX Runtime computes them:
    /// `[lo, hi] = adjusted(range)`, `scale = (hi - lo) / (qmax - qmin)` (1 when that is 0), and
    /// `zeroPoint = round_half_even(qmin - lo / scale)` clamped to the grid.
    public func parameters(for range: ClosedRange<Float>) -> (scale: Float, zeroPoint: Int) {
        let r = adjusted(range)
        var scale = (r.upperBound - r.lowerBound) / Float(qmax - qmin)
        if !(scale > 0) || !scale.isFinite { scale = 1 }
        if symmetric { return (scale, (qmin + qmax + 1) / 2) }
        let zero = (Float(qmin) - r.lowerBound / scale).rounded(.toNearestOrEven)
        return (scale, Swift.min(qmax, Swift.max(qmin, Int(zero))))
    }
}
