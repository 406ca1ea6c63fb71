import QConvertIR

/// Per-channel clipping ranges of a weight tensor, observed directly (weights need no calibration
/// data): channel `c` along `axis` gets `method`'s range over its elements.
///
/// Why per channel: output channels of a convolution can differ in scale by orders of magnitude,
/// and one range for all would flatten the small ones to a few levels. Min-max (the default) keeps
/// every weight exact up to rounding, which is right for weights: they have no rare outliers that a
/// percentile could afford to clip.
public enum WeightRanges {
    /// One range per index of `axis` (negative counts from the end), in channel order.
    public static func perChannel(
        _ weight: Tensor, axis: Int, method: CalibrationMethod = .minMax, scheme: QuantizationScheme = .int8Symmetric
    ) throws -> [ClosedRange<Float>] {
        guard weight.dataType == .float else {
            throw QConvertError("per-channel ranges need a float32 weight, got \(weight.dataType)")
        }
        let resolved = axis < 0 ? axis + weight.rank : axis
        guard (0..<weight.rank).contains(resolved) else {
            throw QConvertError("channel axis \(axis) is out of range for a weight of shape \(weight.shape)")
        }
        let channels = weight.shape[resolved]
        let inner = weight.shape[(resolved + 1)...].reduce(1, *)
        let outer = weight.shape[..<resolved].reduce(1, *)
        var histograms = [Histogram](repeating: Histogram(), count: channels)
        weight.withElements(of: Float.self) { values in
            for o in 0..<outer {
                for c in 0..<channels {
                    let start = (o * channels + c) * inner
                    histograms[c].add(UnsafeBufferPointer(rebasing: values[start..<(start + inner)]))
                }
            }
        }
        let observer = method.observer
        return histograms.map { observer.range($0, scheme: scheme) }
    }
}
