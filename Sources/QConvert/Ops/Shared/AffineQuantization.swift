import QConvertIR

/// The affine quantization ONNX defines, shared by QuantizeLinear/DequantizeLinear kernels and by
/// the quantizer that writes weights, so the model file and the reference kernels agree bit for bit:
///     q = saturate(round_half_to_even(x / scale) + zero_point),   x' = (q - zero_point) * scale
/// Per-axis: `scale` and `zero_point` hold one value per index of `axis`.
public enum AffineQuantization {
    /// Integer types a quantized tensor may have, with their ranges.
    public static func range(of type: DataType) -> ClosedRange<Int64>? {
        switch type {
        case .uint8: 0...255
        case .int8: -128...127
        case .uint16: 0...65535
        case .int16: -32768...32767
        case .int32: Int64(Int32.min)...Int64(Int32.max)
        default: nil
        }
    }

    /// round_half_to_even(x / scale) + zero_point, saturated to `range`. NaN maps to zero_point (as
    /// ONNX Runtime does); infinities saturate.
    @inline(__always)
    public static func quantize(_ x: Float, scale: Float, zeroPoint: Int64, range: ClosedRange<Int64>) -> Int64 {
        let scaled = (x / scale).rounded(.toNearestOrEven)
        guard !scaled.isNaN else { return min(max(zeroPoint, range.lowerBound), range.upperBound) }
        let clamped = min(max(Double(scaled) + Double(zeroPoint), Double(range.lowerBound)), Double(range.upperBound))
        return Int64(clamped)
    }

    /// Maps an element's flat index to its index in a per-axis parameter vector: its coordinate on
    /// `axis` (always 0 when per-tensor).
    public struct ParameterIndex {
        let inner: Int
        let count: Int

        public init(axis: Int?, shape: [Int]) {
            guard let axis else {
                inner = 1
                count = 1
                return
            }
            inner = shape[(axis + 1)...].reduce(1, *)
            count = shape[axis]
        }

        @inline(__always)
        public func callAsFunction(_ i: Int) -> Int {
            count == 1 ? 0 : (i / inner) % count
        }
    }

    /// Checks scale/zero_point shapes against `x` and normalises `axis`; returns the axis to use
    /// (nil: per-tensor) and the parameter count.
    public static func layout(scale: Tensor, zeroPoint: Tensor?, x: Tensor, axis: Int) throws -> (axis: Int?, count: Int) {
        if scale.count == 1 && scale.rank <= 1 {
            if let zeroPoint, zeroPoint.count != 1 { throw QConvertError("zero point has \(zeroPoint.count) values, scale has 1") }
            return (nil, 1)
        }
        guard scale.rank == 1 else { throw QConvertError("scale must be a scalar or 1-D, got shape \(scale.shape)") }
        let resolved = axis < 0 ? axis + x.rank : axis
        guard resolved >= 0, resolved < x.rank else { throw QConvertError("axis \(axis) is out of range for rank \(x.rank)") }
        guard x.shape[resolved] == scale.count else {
            throw QConvertError("scale has \(scale.count) values but axis \(resolved) of input shape \(x.shape) has \(x.shape[resolved])")
        }
        if let zeroPoint, zeroPoint.count != scale.count {
            throw QConvertError("zero point has \(zeroPoint.count) values, scale has \(scale.count)")
        }
        return (resolved, scale.count)
    }
}
