import QConvertIR

/// How well a quantized weight represents the float one, per output channel:
/// SQNR_c = 10 log10(sum w_c^2 / sum (w_c - (q_c - z_c) s_c)^2), measured on the integers written.
public enum WeightError {
    public struct Result: Sendable {
        public var overall: TensorError
        public var perChannel: [TensorError]
    }

    /// Compares the float weight with integer `codes` on `params` (per-axis along `axis`, or one scale).
    public static func measure(float weight: Tensor, codes: Tensor, params: QuantParams, axis: Int?) -> Result? {
        guard let values = weight.floats(), let integers = codes.integers(), values.count == integers.count,
              params.scales.count == (axis.map { weight.shape[$0] } ?? 1), params.zeroPoints.count == params.scales.count else { return nil }
        let index = AffineQuantization.ParameterIndex(axis: axis, shape: weight.shape)
        var channels = [TensorError](repeating: TensorError(), count: params.scales.count)
        var overall = TensorError()
        for i in values.indices {
            let c = index(i), dequantized = Float(integers[i] - Int64(params.zeroPoints[c])) * params.scales[c]
            channels[c].add(values[i], dequantized)
            overall.add(values[i], dequantized)
        }
        return Result(overall: overall, perChannel: channels)
    }
}
