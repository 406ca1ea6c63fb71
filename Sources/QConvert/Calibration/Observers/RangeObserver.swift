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

    /// Counts by magnitude: entry `m` holds the values with `|x|` in bin `m` of width `w`, i.e. signed
    /// bin `m` plus signed bin `-m-1` (which holds `x` in `[-(m+1) w, -m w)`; a value exactly at
    /// `-m w` lands one magnitude bin low, the one inexactness of folding).
    func magnitudes() -> [Double] {
        let last = first + counts.count - 1
        let top = Swift.max(last, -first - 1)
        var folded = [Double](repeating: 0, count: Swift.max(0, top + 1))
        for (k, n) in counts.enumerated() where n > 0 {
            let index = first + k
            folded[index >= 0 ? index : -index - 1] += n
        }
        while folded.last == 0 { folded.removeLast() }
        return folded
    }

    /// The two sides of zero as magnitude counts: `positive[m]` = signed bin `m` (values >= 0),
    /// `negative[m]` = signed bin `-m-1` (values < 0). Trailing empty bins dropped.
    func sides() -> (positive: [Double], negative: [Double]) {
        var positive: [Double] = [], negative: [Double] = []
        for (k, n) in counts.enumerated() {
            let index = first + k
            if index >= 0 {
                while positive.count < index { positive.append(0) }
                positive.append(n)
            } else {
                let m = -index - 1
                while negative.count <= m { negative.append(0) }
                negative[m] += n
            }
        }
        while positive.last == 0 { positive.removeLast() }
        while negative.last == 0 { negative.removeLast() }
        return (positive, negative)
    }
}
