import Foundation

/// TensorRT's entropy calibration: the clipping threshold whose quantized distribution loses the
/// least information (KL divergence) against the full one.
///
/// On a magnitude histogram `bin[0..<K]` of width `w` (TensorRT: 2048 bins), for every candidate
/// `i` in `L...K` (`L` = target bins, 128 for int8):
///     P = bin[0..<i], with the outliers sum(bin[i..<K]) added to P[i-1]
///     Q = bin[0..<i] merged into L groups of floor(i / L) bins (the last group takes the rest),
///         each group's total spread evenly over the group's bins where P is non-zero
///     P and Q smoothed (zeros get eps = 1e-4, taken evenly from the non-zeros; MXNet's rule, the
///     open reference ONNX Runtime also uses), divergence = sum P/|P| * ln((P/|P|) / (Q/|Q|))
/// and the threshold is `(m + 0.5) w` for the `i = m` of least divergence (first on ties; candidates
/// clipping more than half the values are skipped, see `maxClippedFraction`), capped at
/// the largest magnitude. (ONNX Runtime and MXNet return `m w`; half a bin apart.)
///
/// Symmetric schemes: on `|x|` with `L = levels / 2` (128), range `[-T, T]`.
/// Asymmetric schemes (TensorRT defines none): each side of zero is calibrated on its own, with
/// the side's share of the grid's levels as `L` (in proportion to the side's extent in the data, so
/// all 256 for a one-signed tensor such as a ReLU output, whose grid spends every level on that
/// side); a side whose share is under `minimumSideLevels`, or with at most `L` bins, is not clipped.
///
/// Exact zeros (half of a ReLU's output) pile up in the bin at zero. Before the search that bin
/// counts as its neighbour when it holds more than 4 times as many: left as it is, its spike
/// dominates the divergence and costs more the wider Q's groups, so the search clips hard to keep
/// groups narrow (measured: torchvision resnet18, random weights, 6.3 dB held-out output SQNR with
/// `--method entropy`, 26.4 with the rule; ppocrv4_rec 2.2 -> 13.0 dB on the eval split). Data that
/// peaks at zero by nature (SiLU outputs) stays under the 4x and keeps its bin (yolov8n unchanged).
///
/// The magnitude histogram is the stored one folded at zero (width `2^e`: 1024 to 2048 bins over
/// the data, so 512 to 2048 over a side), with bins merged in pairs while `[0, max]` spans more than
/// 2048 (data far from zero relative to its spread).
public struct EntropyObserver: RangeObserver {
    public init() {}

    public func range(_ histogram: Histogram, scheme: QuantizationScheme) -> ClosedRange<Float> {
        guard histogram.count > 0 else { return 0...0 }
        let bins = BinnedDistribution(histogram)
        if scheme.symmetric {
            let maxAbs = Swift.max(-bins.min, bins.max)
            let t = Self.threshold(bins.magnitudes(), targetBins: (scheme.levels + 1) / 2, width: bins.width, extent: maxAbs)
            return scheme.adjusted(-Float(t)...Float(t))
        }
        let sides = bins.sides()
        let positive = Swift.max(bins.max, 0), negative = Swift.max(-bins.min, 0)
        guard positive + negative > 0 else { return 0...0 }
        let positiveLevels = Int((Double(scheme.levels) * positive / (positive + negative)).rounded())
        let hi = Self.threshold(sides.positive, targetBins: positiveLevels, width: bins.width, extent: positive)
        let lo = Self.threshold(sides.negative, targetBins: scheme.levels - positiveLevels, width: bins.width, extent: negative)
        return scheme.adjusted(-Float(lo)...Float(hi))
    }

    /// Fewer levels than this on one side of an asymmetric grid and that side is not clipped. Why:
    /// clipping such a side can give the unclipped grid back at most 1/16 of its step (0.5 dB of
    /// rounding noise), while the search over so few target bins drifts to clipping as much as it may
    /// (half the side's values): yolov8n_320's /model.8/m.0/Add, a sum of two SiLU outputs reaching
    /// -0.56 beside a maximum near 12 (12 levels below zero), had its grid start at -0.28, 30% of its
    /// values clipped and clipping 99% of its error. Not clipping such sides, measured with
    /// `--method entropy` (which yolov8n_320's default run also picks) on the eval split: yolov8n_320
    /// 33.7 -> 35.0 dB, ppocrv4_det 13.4 -> 13.7, ppocrv4_rec 12.8 -> 12.9, ppocr_cls 27.2 -> 25.4 (two
    /// uncertain samples of its 64 carry that figure; on all 64 calibration samples 29.5 -> 29.0).
    static let minimumSideLevels = 16

    /// The TensorRT threshold for one side's magnitudes, at most `extent`.
    static func threshold(_ side: MagnitudeCounts, targetBins: Int, width: Double, extent: Double) -> Double {
        guard targetBins >= minimumSideLevels, !side.isEmpty else { return extent }
        var (bins, shift) = side.fromZero(atMost: Histogram.binCount)
        guard bins.count > targetBins else { return extent }
        // A spike of exact zeros counts as its neighbour (see the type's comment).
        if bins[0] > 4 * bins[1] { bins[0] = bins[1] }
        let m = bestBinCount(bins, targetBins: targetBins)
        return Swift.min((Double(m) + 0.5) * width * Double(1 << shift), extent)
    }

    /// Candidates that clip more than this share of the side's values are skipped. On data away
    /// from zero (an SE block's gate logits in [-1.7, -0.7]) the candidate whose last kept bin holds
    /// the smallest magnitude makes P and Q the same single spike, KL 0, and every value saturated:
    /// measured on ppocr_cls with `--method entropy`, 15.6 dB output SQNR, 25.5 dB with this limit.
    static let maxClippedFraction = 0.5

    /// The `i` in `targetBins...bins.count` of least divergence (see the type's comment).
    static func bestBinCount(_ bins: [Double], targetBins: Int) -> Int {
        let table = PrefixTable(bins)
        var best = (i: bins.count, divergence: Double.infinity)
        let total = table.sums[bins.count]
        for i in targetBins...bins.count {
            let clipped = total - table.sums[i]
            guard clipped <= maxClippedFraction * total else { continue }
            let divergence = self.divergence(table, keeping: i, targetBins: targetBins)
            if divergence < best.divergence { best = (i, divergence) }
        }
        return best.i
    }

    /// Running sums over the bins so each candidate costs one logarithm per non-empty bin.
    struct PrefixTable {
        let bins: [Double]
        /// `sums[k]` = sum of bins[0..<k]; `zeros[k]` = empty bins among bins[0..<k].
        let sums: [Double]
        let zeros: [Int]

        init(_ bins: [Double]) {
            self.bins = bins
            var sums = [0.0], zeros = [0]
            for n in bins {
                sums.append(sums.last! + n)
                zeros.append(zeros.last! + (n == 0 ? 1 : 0))
            }
            self.sums = sums
            self.zeros = zeros
        }
    }

    /// KL(P || Q) for candidate `i`, as the type's comment defines P, Q and the smoothing, without
    /// building them: smoothing keeps each total (`|P|` = all counts, `|Q|` = sum(bins[0..<i])), Q
    /// is constant over a group's non-empty bins, and empty bins (eps in both) contribute 0, so
    ///     KL = (1/|P|) [sum_k ps_k ln ps_k - sum_g S_g ln qs_g] + ln(|Q| / |P|)
    /// over P's non-empty bins k, with `ps`, `qs` the smoothed values and `S_g` = sum of `ps` in group
    /// g. Infinity when Q is empty or smoothing would make a value non-positive.
    static func divergence(_ t: PrefixTable, keeping i: Int, targetBins: Int, eps: Double = 1e-4) -> Double {
        let pTotal = t.sums[t.bins.count], qTotal = t.sums[i]
        guard qTotal > 0 else { return .infinity }
        let tail = pTotal - t.sums[i]
        let pLast = t.bins[i - 1] + tail
        let zerosP = t.zeros[i - 1] + (pLast == 0 ? 1 : 0)
        let takenP = eps * Double(zerosP) / Double(i - zerosP)
        let size = i / targetBins
        var groups: [(nonZero: Int, value: Double, pSum: Double)] = []
        groups.reserveCapacity(targetBins)
        var zerosQ = zerosP
        for g in 0..<targetBins {
            let start = g * size, end = g == targetBins - 1 ? i : start + size
            var nonZero = (end - start) - (t.zeros[end] - t.zeros[start])
            var pSum = t.sums[end] - t.sums[start]
            if end == i {
                if t.bins[i - 1] == 0 && pLast != 0 { nonZero += 1 }
                pSum += tail
            }
            let value = nonZero > 0 ? (t.sums[end] - t.sums[start]) / Double(nonZero) : 0
            if nonZero > 0 && value == 0 { zerosQ += nonZero }
            groups.append((nonZero, value, pSum - takenP * Double(nonZero)))
        }
        let takenQ = eps * Double(zerosQ) / Double(i - zerosQ)
        var sum = 0.0
        for k in 0..<i {
            let p = k == i - 1 ? pLast : t.bins[k]
            guard p != 0 else { continue }
            let ps = p - takenP
            guard ps > 0 else { return .infinity }
            sum += ps * log(ps)
        }
        for group in groups where group.nonZero > 0 {
            let qs = group.value == 0 ? eps : group.value - takenQ
            guard qs > 0 else { return .infinity }
            sum -= group.pSum * log(qs)
        }
        return sum / pTotal + log(qTotal / pTotal)
    }
}
