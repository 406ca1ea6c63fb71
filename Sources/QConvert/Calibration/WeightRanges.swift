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
        if method == .minMax {
            return minMax(weight, channels: channels, inner: inner, outer: outer).map { range in
                range.map(scheme.adjusted) ?? 0...0
            }
        }
        let observer = try method.observer()
        var histograms = [Histogram](repeating: Histogram(), count: channels)
        weight.withElements(of: Float.self) { values in
            for o in 0..<outer {
                for c in 0..<channels {
                    let start = (o * channels + c) * inner
                    histograms[c].add(UnsafeBufferPointer(rebasing: values[start..<(start + inner)]))
                }
            }
        }
        return histograms.map { observer.range($0, scheme: scheme) }
    }

    /// Min and max of each channel's finite elements in one pass (nil for a channel without any):
    /// min-max needs no histogram, and a [K, N] MatMul weight on axis 1 would otherwise add one
    /// element at a time.
    static func minMax(_ weight: Tensor, channels: Int, inner: Int, outer: Int) -> [ClosedRange<Float>?] {
        var low = [Float](repeating: .infinity, count: channels), high = [Float](repeating: -.infinity, count: channels)
        weight.withElements(of: Float.self) { values in
            var index = 0
            for _ in 0..<outer {
                for c in 0..<channels {
                    for _ in 0..<inner {
                        let x = values[index]
                        if x.isFinite {
                            low[c] = Swift.min(low[c], x)
                            high[c] = Swift.max(high[c], x)
                        }
                        index += 1
                    }
                }
            }
        }
        return zip(low, high).map { $0 <= $1 ? $0...$1 : nil }
    }
}
