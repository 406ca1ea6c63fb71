import QConvertIR

/// Quantizing constant weights and biases: symmetric int8 per channel (or per tensor), and int32 biases
/// on the product of the input's and the weight's scales.
public enum WeightQuantization {
    /// A quantized weight: its int8 tensor and scales (zero points all 0).
    public struct Result: Sendable, Equatable {
        public var tensor: Tensor
        public var params: QuantParams
    }

    /// Per-channel maxima max|w| over every element of each index of `axis` (one value if axis nil).
    public static func channelMaxima(_ w: Tensor, axis: Int?) -> [Float] {
        let values = w.floats() ?? []
        guard let axis else { return [values.reduce(0) { max($0, abs($1)) }] }
        let index = AffineQuantization.ParameterIndex(axis: axis, shape: w.shape)
        var maxima = [Float](repeating: 0, count: w.shape[axis])
        for (i, v) in values.enumerated() {
            let c = index(i)
            maxima[c] = max(maxima[c], abs(v))
        }
        return maxima
    }

    /// Scales s_c = max|w_c| / qmax for a symmetric grid of `bits` bits (qmax = 2^(bits-1) - 1: 127
    /// for 8 bits, 63 for 7); an all-zero channel gets scale 1 (any positive scale represents it), a
    /// subnormal one at least `QuantParams.smallestScale`.
    public static func scales(maxima: [Float], bits: Int) -> [Float] {
        let qmax = Float((1 << (bits - 1)) - 1)
        return maxima.map { $0 > 0 ? max($0 / qmax, QuantParams.smallestScale) : 1 }
    }

    /// Widens weight scales so that every bias fits int32 on scale inputScale x s_w[c]:
    /// needs |b_c| / (s_x s_w[c]) <= 2^31 - 1. One scale (per tensor) must fit the largest |b_c|;
    /// otherwise `bias` has one value per scale. Returns the (possibly widened) scales.
    public static func widenedForBias(_ scales: [Float], bias: [Float], inputScale: Float) -> [Float] {
        let limit = Float(Int32.max) * 0.999
        let magnitudes = scales.count == 1 ? [bias.reduce(0) { max($0, abs($1)) }] : bias.map(abs)
        return zip(scales, magnitudes).map { s, b in max(s, b / (inputScale * limit)) }
    }

    /// q = clamp(round_half_to_even(w / s_c), -qmax, qmax) as int8, per channel along `axis`.
    public static func quantize(_ w: Tensor, scales: [Float], axis: Int?, bits: Int) -> Result {
        let qmax = Int64((1 << (bits - 1)) - 1)
        let values = w.floats() ?? []
        let index = AffineQuantization.ParameterIndex(axis: axis, shape: w.shape)
        let tensor = Tensor(shape: w.shape, of: Int8.self) { out in
            for (i, v) in values.enumerated() {
                out[i] = Int8(AffineQuantization.quantize(v, scale: scales[index(i)], zeroPoint: 0, range: -qmax...qmax))
            }
        }
        let params = QuantParams(type: .int8, scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), axis: axis)
        return Result(tensor: tensor, params: params)
    }

    /// The int32 bias for output channels with weight scales `weightScales` (one, or one per bias
    /// value) and input scale `inputScale`, as a vector (one value per channel, whatever `bias`'s shape):
    ///     b_q[c] = round_half_to_even(b[c] / (s_x s_w[c]))
    public static func quantizeBias(_ bias: Tensor, inputScale: Float, weightScales: [Float]) -> Result {
        let values = bias.floats() ?? []
        precondition(weightScales.count == 1 || weightScales.count == values.count, "one weight scale, or one per bias value")
        // Floored at the least positive float: a pruned channel (denormal weights, scale ~1e-38)
        // reading a small activation gave a product of 0, which no runtime accepts as a scale;
        // its bias is 0 then, as any other is widened to fit (`widenedForBias`).
        let scales = values.indices.map { max(inputScale * weightScales[weightScales.count == 1 ? 0 : $0], .leastNonzeroMagnitude) }
        let range = Int64(Int32.min)...Int64(Int32.max)
        let tensor = Tensor(shape: [values.count], of: Int32.self) { out in
            for (i, v) in values.enumerated() {
                out[i] = Int32(AffineQuantization.quantize(v, scale: scales[i], zeroPoint: 0, range: range))
            }
        }
        let params = QuantParams(type: .int32, scales: scales, zeroPoints: Array(repeating: 0, count: scales.count), axis: 0)
        return Result(tensor: tensor, params: params)
    }
}
