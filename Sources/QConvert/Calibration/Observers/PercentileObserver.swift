import QConvertIR

/// Clips the tails that hold `100 - P` percent of the values, `P` = `percentile` (default 99.999).
///
/// Asymmetric schemes cut two-sided, `(100 - P) / 2` percent from each end, as ONNX Runtime's
/// Percentile calibrator does: with `N` values and `t = (1 - P/100) / 2`,
///     hi = min(upper edge of the first bin j with count(bins <= j) >= (1 - t) N, max)
///     lo = max(lower edge of the last bin j with count(bins >= j) >= (1 - t) N, min)
/// Symmetric schemes cut one-sided on `|x|`: `m` = min(upper edge of the first magnitude bin j with
/// count(|x| bins <= j) >= (P/100) N, max |x|), range `[-m, m]`. Edges are histogram bin edges,
/// so the result is within one bin width of the exact percentile. Zero is then included.
public struct PercentileObserver: RangeObserver {
    public let percentile: Double

    /// The percentile used when none is given (the `percentile` method's and `--method auto`'s).
    public static let defaultPercentile = 99.999

    /// Fails unless `percentile` is in (50, 100]: at 50 or below the two-sided cut keeps half the
    /// values or fewer from each end, so the lower cut can land above the upper one.
    public init(percentile: Double = defaultPercentile) throws {
        try Self.check(percentile)
        self.percentile = percentile
    }

    /// Fails unless `percentile` is above 50 and at most 100 (NaN is neither).
    public static func check(_ percentile: Double) throws {
        guard percentile > 50 && percentile <= 100 else {
            throw QConvertError("percentile must be above 50 and at most 100, got \(percentile)")
        }
    }

    public func range(_ histogram: Histogram, scheme: QuantizationScheme) -> ClosedRange<Float> {
        guard histogram.count > 0 else { return 0...0 }
        let bins = BinnedDistribution(histogram)
        if scheme.symmetric {
            let magnitudes = bins.magnitudes()
            let maxAbs = Swift.max(-bins.min, bins.max)
            let j = magnitudes.offset + Self.firstReaching(magnitudes.counts, percentile / 100 * bins.total)
            let m = Float(Swift.min(Double(j + 1) * bins.width, maxAbs))
            return scheme.adjusted(-m...m)
        }
        let keep = (1 - (1 - percentile / 100) / 2) * bins.total
        let j = Self.firstReaching(bins.counts, keep)
        let hi = Swift.min(Double(bins.first + j + 1) * bins.width, bins.max)
        let fromTop = Self.firstReaching(bins.counts.reversed(), keep)
        let lo = Swift.max(Double(bins.first + bins.counts.count - 1 - fromTop) * bins.width, bins.min)
        return scheme.adjusted(Float(lo)...Float(hi))
    }

    /// Index of the first bin at which the running count reaches `target` (the last bin if none).
    static func firstReaching<C: Collection<Double>>(_ counts: C, _ target: Double) -> Int {
        var running = 0.0
        for (index, n) in counts.enumerated() {
            running += n
            if running >= target { return index }
        }
        return counts.count - 1
    }
}
