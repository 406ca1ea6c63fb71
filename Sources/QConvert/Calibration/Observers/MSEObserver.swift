/// The clipping range that minimises the expected squared quantization error over the histogram,
/// for the scheme's grid: rounding noise inside the grid plus clipping error outside it.
///
/// For a candidate `[lo, hi]` the grid is what the quantizer will use (`QuantizationScheme
/// .parameters`, i.e. `QuantParams.covering`): scale `s`, zero point `z`, representable ends
/// `L = (qmin - z) s`, `H = (qmax - z) s` with the type's full `[qmin, qmax]` (QuantizeLinear
/// saturates there, so int8 symmetric covers `[-128 s, 127 s]`).
/// With each bin's mass spread uniformly over its support (see `BinnedDistribution`),
///     error(lo, hi) = sum over values x of  s^2 / 12     if L <= x <= H   (uniform rounding noise)
///                                          (L - x)^2    if x < L         (clipped to L)
///                                          (x - H)^2    if x > H         (clipped to H)
/// Candidates: symmetric, `[-T, T]` for T at the upper edge of every magnitude bin from the lowest
/// to the highest holding data (capped at max |x|); asymmetric, every `hi` at the upper edge of a
/// non-negative bin from the lowest to the highest holding data (capped at max) with every `lo` at
/// the lower edge of a negative bin likewise (capped at min), or 0 on a side with no data. The first minimum wins
/// (ascending T; lo ascending, then hi ascending). When there are more than 65,536 pairs, pairs are
/// first searched on a stride-`d` lattice (d chosen to give about 65,536, ends included), then
/// exhaustively within `d` of the best lattice pair.
public struct MSEObserver: RangeObserver {
    public init() {}

    /// Largest number of (lo, hi) pairs searched exhaustively.
    static let exhaustiveLimit = 65_536

    public func range(_ histogram: Histogram, scheme: QuantizationScheme) -> ClosedRange<Float> {
        guard histogram.count > 0 else { return 0...0 }
        let bins = BinnedDistribution(histogram)
        let model = ErrorModel(bins)
        if scheme.symmetric {
            let maxAbs = Swift.max(-bins.min, bins.max)
            guard maxAbs > 0 else { return 0...0 }
            let magnitudes = bins.magnitudes()
            let candidates = (0..<magnitudes.counts.count).map {
                Float(Swift.min(Double(magnitudes.offset + $0 + 1) * bins.width, maxAbs))
            }
            var best = (error: Double.infinity, t: candidates.last!)
            for t in candidates {
                let error = model.error(of: -t...t, scheme: scheme)
                if error < best.error { best = (error, t) }
            }
            return scheme.adjusted(-best.t...best.t)
        }
        let sides = bins.sides()
        let (positive, negative) = (sides.positive, sides.negative)
        let his = positive.isEmpty ? [Float(0)] : (0..<positive.counts.count).map {
            Float(Swift.min(Double(positive.offset + $0 + 1) * bins.width, bins.max))
        }
        let los = negative.isEmpty ? [Float(0)] : (0..<negative.counts.count).reversed().map {
            Float(Swift.max(-Double(negative.offset + $0 + 1) * bins.width, bins.min))
        }
        let (l, h) = Self.search(los.count, his.count) { model.error(of: los[$0]...his[$1], scheme: scheme) }
        return scheme.adjusted(los[l]...his[h])
    }

    /// The (i, j) in `0..<m` x `0..<n` minimising `cost`: exhaustive, or lattice then refinement.
    static func search(_ m: Int, _ n: Int, cost: (Int, Int) -> Double) -> (Int, Int) {
        var stride = 1
        while (m + stride - 1) / stride * ((n + stride - 1) / stride) > exhaustiveLimit { stride += 1 }
        func axis(_ count: Int) -> [Int] {
            var points = Array(Swift.stride(from: 0, to: count, by: stride))
            if points.last != count - 1 { points.append(count - 1) }
            return points
        }
        var best = (error: Double.infinity, i: m - 1, j: n - 1)
        func visit(_ rows: [Int], _ columns: [Int]) {
            for i in rows {
                for j in columns {
                    let error = cost(i, j)
                    if error < best.error { best = (error, i, j) }
                }
            }
        }
        visit(axis(m), axis(n))
        if stride > 1 {
            let (ci, cj) = (best.i, best.j)
            visit(Array(Swift.max(0, ci - stride)...Swift.min(m - 1, ci + stride)),
                  Array(Swift.max(0, cj - stride)...Swift.min(n - 1, cj + stride)))
        }
        return (best.i, best.j)
    }
}

extension MSEObserver {
    /// Expected squared error of quantizing the binned data on a grid, in O(1) per grid from prefix
    /// sums of each bin's mass `n`, first moment `n E[x]` and second moment `n E[x^2]` (uniform on
    /// `[a, b]`: `E[x] = (a + b) / 2`, `E[x^2] = (a^2 + ab + b^2) / 3`).
    struct ErrorModel {
        let bins: BinnedDistribution
        let mass: [Double], first: [Double], second: [Double]

        init(_ bins: BinnedDistribution) {
            self.bins = bins
            var mass = [0.0], first = [0.0], second = [0.0]
            for (k, n) in bins.counts.enumerated() {
                let a = bins.lower(k), b = bins.upper(k)
                mass.append(mass.last! + n)
                first.append(first.last! + n * (a + b) / 2)
                second.append(second.last! + n * (a * a + a * b + b * b) / 3)
            }
            self.mass = mass
            self.first = first
            self.second = second
        }

        func error(of range: ClosedRange<Float>, scheme: QuantizationScheme) -> Double {
            let grid = scheme.parameters(for: range)
            let s = Double(grid.scales[0]), zero = Int(grid.zeroPoints[0])
            let error = error(step: s, low: Double(scheme.qmin - zero) * s, high: Double(scheme.qmax - zero) * s)
            return error.rounding + error.clipping
        }

        /// The error of a grid of step `s` whose ends are `low` and `high`, in its two parts.
        func error(step s: Double, low: Double, high: Double) -> (rounding: Double, clipping: Double) {
            let below = tail(below: low), above = tail(above: high)
            let inside = bins.total - below.mass - above.mass
            return (inside * s * s / 12, below.error + above.error)
        }

        /// Sum of x^2 over the data.
        var energy: Double { second.last ?? 0 }

        /// The bin holding `c`, clamped to the stored ones. Clamped in floating point first: a grid
        /// edge can lie 2^100 bins away (subnormal data, whose bins are 2^-157 wide, on a grid whose
        /// scale is held to a normal float), past Int.
        func bin(of c: Double) -> Int {
            let index = (c / bins.width).rounded(.down) - Double(bins.first)
            return Int(Swift.min(Swift.max(index, 0), Double(bins.counts.count - 1)))
        }

        /// Mass below `c` and its squared distance to `c`.
        func tail(below c: Double) -> (mass: Double, error: Double) {
            guard c > bins.min else { return (0, 0) }
            let k = bin(of: c)
            var result = (mass: mass[k], error: second[k] - 2 * c * first[k] + c * c * mass[k])
            let part = piece(k, from: bins.lower(k), to: Swift.min(c, bins.upper(k)), around: c)
            result.mass += part.mass
            result.error += part.error
            return result
        }

        /// Mass above `c` and its squared distance to `c`.
        func tail(above c: Double) -> (mass: Double, error: Double) {
            guard c < bins.max else { return (0, 0) }
            let k = bin(of: c)
            let n = bins.counts.count
            let m = mass[n] - mass[k + 1], f = first[n] - first[k + 1], q = second[n] - second[k + 1]
            var result = (mass: m, error: q - 2 * c * f + c * c * m)
            let part = piece(k, from: Swift.max(c, bins.lower(k)), to: bins.upper(k), around: c)
            result.mass += part.mass
            result.error += part.error
            return result
        }

        /// Mass of bin `k` within `[u, v]` and its squared distance to `c` (outside `[u, v]`).
        func piece(_ k: Int, from u: Double, to v: Double, around c: Double) -> (mass: Double, error: Double) {
            let a = bins.lower(k), b = bins.upper(k), n = bins.counts[k]
            guard n > 0, v >= u else { return (0, 0) }
            if b == a { return u <= a && a <= v && a != c ? (n, n * (a - c) * (a - c)) : (0, 0) }
            let density = n / (b - a)
            let cube = { (x: Double) in (x - c) * (x - c) * (x - c) / 3 }
            return (density * (v - u), density * (cube(v) - cube(u)))
        }
    }
}
