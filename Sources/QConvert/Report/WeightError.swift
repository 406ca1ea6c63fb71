import QConvertIR

/// How well a quantized weight represents the float one, per output channel:
/// SQNR_c = 10 log10(sum w_c^2 / sum (w_c - dequant(quant(w_c)))^2).
public enum WeightError {
    public struct Result: Sendable {
        public var overall: TensorError
        public var perChannel: [TensorError]
    }

    public static func measure(_ weight: Tensor, axis: Int?, bits: Int) -> Result {
        let scales = WeightQuantization.scales(maxima: WeightQuantization.channelMaxima(weight, axis: axis), bits: bits)
        let quantized = WeightQuantization.quantize(weight, scales: scales, axis: axis, bits: bits)
        let values = weight.floats() ?? [], codes = quantized.tensor.integers() ?? []
        let index = AffineQuantization.ParameterIndex(axis: axis, shape: weight.shape)
        var channels = [TensorError](repeating: TensorError(), count: scales.count)
        var overall = TensorError()
        for i in values.indices {
            let c = index(i), dequantized = Float(codes[i]) * scales[c]
            channels[c].add(values[i], dequantized)
            overall.add(values[i], dequantized)
        }
        return Result(overall: overall, perChannel: channels)
    }
}
