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
    public var percentile: Double

    public init(percentile: Double = 99.999) {
        precondition((0...100).contains(percentile), "percentile must be in [0, 100]")
        self.percentile = percentile
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
