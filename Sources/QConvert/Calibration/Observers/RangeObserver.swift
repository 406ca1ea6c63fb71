/// Chooses the clipping range `[lo, hi]` a tensor is quantized over, from its calibration statistics.
///
/// Why a protocol over `Histogram`: every method reads the same streamed statistics (so one
/// calibration run serves all methods, and `--load-stats` can switch method without re-running).
/// Results always contain 0 (`lo <= 0 <= hi`) and are `[-m, m]` for a symmetric scheme; a tensor
/// with no finite values gets `0...0`.
public protocol RangeObserver: Sendable {
    func range(_ histogram: Histogram, scheme: QuantizationScheme) -> ClosedRange<Float>
}

/// The non-empty span of a histogram as pieces of probability mass, for the observers' arithmetic.
///
/// Bin `k` (absolute index `first + k`) covers `[(first+k) w, (first+k+1) w)`; its mass is taken as
/// spread uniformly over that interval clipped to `[min, max]` (so nothing is assumed outside the
/// data), a point mass when the clipped interval is a single point.
struct BinnedDistribution {
    let width: Double
    let first: Int
    let counts: [Double]
    let min: Double
    let max: Double
    let total: Double

    init(_ histogram: Histogram) {
        width = histogram.binWidth
        first = histogram.binIndex(of: histogram.min)
        let last = histogram.binIndex(of: histogram.max)
        counts = (first...last).map { Double(histogram.count(atIndex: $0)) }
        min = Double(histogram.min)
        max = Double(histogram.max)
        total = Double(histogram.count)
    }

    /// Lower end of bin `k`'s support.
    func lower(_ k: Int) -> Double { Swift.max(Double(first + k) * width, min) }
    /// Upper end of bin `k`'s support.
    func upper(_ k: Int) -> Double { Swift.min(Double(first + k + 1) * width, max) }

    /// Counts by magnitude: magnitude bin `m` holds the values with `|x|` in `[m w, (m+1) w)`, i.e.
    /// signed bin `m` plus signed bin `-m-1` (which holds `x` in `[-(m+1) w, -m w)`; a value exactly
    /// at `-m w` lands one magnitude bin low, the one inexactness of folding).
    func magnitudes() -> MagnitudeCounts {
        var folded: [Int: Double] = [:]
        for (k, n) in counts.enumerated() where n > 0 {
            let index = first + k
            folded[index >= 0 ? index : -index - 1, default: 0] += n
        }
        return MagnitudeCounts(folded)
    }

    /// The two sides of zero as magnitude counts: `positive` from signed bins `m >= 0` (values >= 0),
    /// `negative` from signed bins `-m-1` (values < 0).
    func sides() -> (positive: MagnitudeCounts, negative: MagnitudeCounts) {
        var positive: [Int: Double] = [:], negative: [Int: Double] = [:]
        for (k, n) in counts.enumerated() where n > 0 {
            let index = first + k
            if index >= 0 { positive[index] = n } else { negative[-index - 1] = n }
        }
        return (MagnitudeCounts(positive), MagnitudeCounts(negative))
    }
}

/// Counts over magnitude bins `offset ..< offset + counts.count` (bin `m` covers `[m w, (m+1) w)`),
/// the first and last non-empty. Offset, not from 0, because data far from zero relative to the bin
/// width (values in [1000, 1001]) would otherwise need a million empty bins below it.
struct MagnitudeCounts {
    let offset: Int
    let counts: [Double]

    init(_ sparse: [Int: Double]) {
        guard let low = sparse.keys.min(), let high = sparse.keys.max() else {
            offset = 0
            counts = []
            return
        }
        var dense = [Double](repeating: 0, count: high - low + 1)
        for (m, n) in sparse { dense[m - low] = n }
        offset = low
        counts = dense
    }

    var isEmpty: Bool { counts.isEmpty }

    /// The counts from bin 0, with `2^shift` bins merged into one, `shift` the smallest giving at most
    /// `limit` bins: the [0, max] histogram TensorRT's procedure takes.
    func fromZero(atMost limit: Int) -> (counts: [Double], shift: Int) {
        let top = offset + counts.count - 1
        var shift = 0
        while top >> shift >= limit { shift += 1 }
        var merged = [Double](repeating: 0, count: (top >> shift) + 1)
        for (k, n) in counts.enumerated() { merged[(offset + k) >> shift] += n }
        return (merged, shift)
    }
}
