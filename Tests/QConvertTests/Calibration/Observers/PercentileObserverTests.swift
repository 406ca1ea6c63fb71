@testable import QConvert
import QConvertIR
import Testing

/// Percentile on the 1000 integers -500...499. Their span 999 fits 2048 bins at width 1/2 (not at
/// 1/4), so value v is alone in bin 2v, whose edges are v and v + 1/2.
@Suite struct PercentileObserverTests {
    let histogram: Histogram = {
        var h = Histogram()
        h.add((-500...499).map(Float.init))
        return h
    }()

    @Test func geometry() {
        #expect(histogram.exponent == -1)
    }

    /// P = 99, two-sided: 0.5% = 5 values cut at each end. The 995th value from the bottom is 494
    /// (upper edge 494.5); the 995th from the top is -495 (lower edge -495).
    @Test func asymmetricCutsBothTails() throws {
        #expect(try PercentileObserver(percentile: 99).range(histogram, scheme: .uint8Asymmetric) == -495...494.5)
    }

    /// P = 99 on |x|: magnitudes 0, 1 (twice), ..., 499 (twice), 500. Negative v sits in signed bin
    /// 2v, folded to magnitude bin -2v-1, so each of the 1000 magnitude bins 0...999 holds one
    /// value; the 990th is bin 989, upper edge 990 / 2 = 495.
    @Test func symmetricCutsTheMagnitudeTail() throws {
        #expect(try PercentileObserver(percentile: 99).range(histogram, scheme: .int8Symmetric) == -495...495)
    }

    @Test func hundredPercentIsMinMax() throws {
        #expect(try PercentileObserver(percentile: 100).range(histogram, scheme: .uint8Asymmetric) == -500...499)
        #expect(try PercentileObserver(percentile: 100).range(histogram, scheme: .int8Symmetric) == -500...500)
    }

    /// The default, 99.999 %, cuts 0.0005% = 0.005 values per side of 1000: nothing.
    @Test func defaultKeepsSmallSetsWhole() throws {
        #expect(try PercentileObserver().range(histogram, scheme: .uint8Asymmetric) == -500...499)
    }

    @Test func oneSidedDataKeepsZero() throws {
        var h = Histogram()
        h.add((1...1000).map(Float.init))
        let range = try PercentileObserver(percentile: 90).range(h, scheme: .uint8Asymmetric)
        #expect(range.lowerBound == 0)
        // 1...1000 spans 999 -> width 1/2; 950 values from the bottom end at 950 (upper edge 950.5).
        #expect(range.upperBound == 950.5)
    }

    /// A percentile of 50 or less (0, 1e-300...) put the lower cut above the upper one: `lo...hi`
    /// trapped. It is refused, as are NaN and values past 100, before any range is made
    /// (`CalibrationStats.ranges` in CalibrationStatsTests).
    @Test(arguments: [0, 1e-300, 50, 100.0001, -1, .nan, .infinity])
    func percentilesOutsideFiftyToHundredAreRefused(percentile: Double) throws {
        let message = "percentile must be above 50 and at most 100, got \(percentile)"
        #expect(throws: QConvertError(message)) { try PercentileObserver(percentile: percentile) }
        #expect(throws: QConvertError(message)) { try CalibrationMethod(name: "percentile", percentile: percentile) }
    }
}
