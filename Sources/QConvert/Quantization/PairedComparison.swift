/// Whether one candidate beats another beyond sample-to-sample noise, judged from their scores on
/// the same samples: the paired t statistic, mean(b - a) / (sd(b - a) / sqrt(n)).
///
/// Why: a pooled score over a few samples follows whichever samples happen to favour a candidate.
/// On ppocr_cls, GPTQ and nearest rounding trade places by tens of dB from one sample to the next
/// (t = -0.5 over 16 samples, pooled SQNR 35.1 against 37.5 dB, the eval split then preferring the
/// other); on ppocrv4_rec nearest rounding beat GPTQ on 11 of 16 samples by 11.9 dB on average
/// (t = 3.5), and on the eval split too.
enum PairedComparison {
    /// t above which `b` counts as better than `a` (about 95% one-sided for 16 samples).
    static let threshold = 2.0

    /// The paired t statistic of b - a; 0 with fewer than 3 samples or when every difference is 0,
    /// and infinite (signed) when b - a is the same nonzero value on every sample.
    static func t(_ b: [Double], minus a: [Double]) -> Double {
        precondition(a.count == b.count, "paired scores need the same samples")
        let n = Double(a.count)
        guard a.count >= 3 else { return 0 }
        let differences = zip(b, a).map { $0 - $1 }
        let mean = differences.reduce(0, +) / n
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        guard variance > 0 else { return mean == 0 ? 0 : (mean > 0 ? .infinity : -.infinity) }
        return mean / (variance / n).squareRoot()
    }

    /// Whether `b` beats `a` beyond noise.
    static func isBetter(_ b: [Double], than a: [Double]) -> Bool {
        t(b, minus: a) >= threshold
    }

    /// Whether `b` beats `a` beyond noise (`t` of b - a) and by at least `margin` on the pooled
    /// score (`gain` = b's minus a's): for a choice whose winner costs something else (latency).
    static func isBetter(t: Double, gain: Double, margin: Double) -> Bool {
        t >= threshold && gain >= margin
    }

    /// How the summary states such a choice: "output SQNR on 12 calibration samples: folded 17.8 dB,
    /// separate 18.3 dB; separate against folded sample by sample: t = 2.2; kept separate from t = 2
    /// and 1.0 dB better".
    static func choiceText(samples: Int, scores: [(name: String, sqnr: Double)], b: String, a: String, t: Double, margin: Double) -> String {
        "output SQNR on \(Formatting.count(samples, "calibration sample")): "
            + scores.map { "\($0.name) \(Formatting.fixed($0.sqnr, digits: 1)) dB" }.joined(separator: ", ")
            + "; \(b) against \(a) sample by sample: t = \(Formatting.fixed(t, digits: 1)); kept \(b) from t = \(Formatting.fixed(threshold, digits: 0)) and "
            + "\(Formatting.fixed(margin, digits: 1)) dB better"
    }
}
