import Foundation
@testable import QConvert
import Testing

/// Expected values are printed by Scripts/observer-expectations.py (an independent, naive numpy
/// implementation of the same definition) and pasted here.
@Suite struct EntropyObserverTests {
    @Test func smallArrays() {
        let e1: [Double] = [10, 8, 6, 5, 4, 3, 2, 2, 1, 1, 0, 1, 0, 0, 1, 1]
        let e2: [Double] = [5, 0, 3, 0, 0, 2, 0, 1, 0, 0, 0, 1]
        var e3 = (0..<300).map { (1000 * exp(-Double($0) / 20)).rounded(.down) }
        for k in [150, 220, 299] { e3[k] = 1 }
        #expect(EntropyObserver.bestBinCount(e1, targetBins: 4) == 15)
        #expect(EntropyObserver.bestBinCount(e2, targetBins: 3) == 8)
        #expect(EntropyObserver.bestBinCount(e3, targetBins: 128) == 222)
    }

    /// Data away from zero: keeping only the first non-empty bin makes P and Q one spike (KL near 0,
    /// the unguarded search picks 61 and clips all but one value); that candidate clips more than half
    /// the values, so it is skipped.
    @Test func dataAwayFromZeroIsNotClippedToItsSmallestValue() {
        let away: [Double] = Array(repeating: 0, count: 60) + [1] + Array(repeating: 3, count: 40)
        #expect(EntropyObserver.bestBinCount(away, targetBins: 16) == 101)
    }

    /// TensorRT's worked example of Q (GTC 2017, S7310): P = [1 0 2 3 5 3 1 7] into 2 bins gives
    /// [6, 16], expanded over P's non-zero bins to Q = [2 0 2 2 4 4 4 4]. The divergence of keeping
    /// all 8 bins is then KL of the smoothed, normalised P and Q, written out directly here.
    @Test func divergenceOfTensorRTExample() {
        let p: [Double] = [1, 0, 2, 3, 5, 3, 1, 7], q: [Double] = [2, 0, 2, 2, 4, 4, 4, 4]
        let taken = 1e-4 / 7
        let ps = p.map { $0 == 0 ? 1e-4 : $0 - taken }, qs = q.map { $0 == 0 ? 1e-4 : $0 - taken }
        let pTotal = ps.reduce(0, +), qTotal = qs.reduce(0, +)
        let expected = zip(ps, qs).reduce(0.0) { sum, pair in
            sum + pair.0 / pTotal * log((pair.0 / pTotal) / (pair.1 / qTotal))
        }
        let actual = EntropyObserver.divergence(.init(p), keeping: 8, targetBins: 2)
        // Same terms summed in another order: equal to within a few units in the last place.
        #expect(abs(actual - expected) <= 1e-15)
        #expect(expected > 0.01)
    }

    @Test func decayDataSymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.decay)
        #expect(h.exponent == 0)
        #expect(EntropyObserver().range(h, scheme: .int8Symmetric) == -292.5...292.5)
    }

    /// One-signed data on uint8: the positive side gets all 256 levels.
    @Test func decayDataAsymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.decay)
        #expect(EntropyObserver().range(h, scheme: .uint8Asymmetric) == 0...486.5)
    }

    /// A ReLU's exact zeros pile up in the bin at zero; counted as its neighbour, they no longer pull
    /// the threshold in (the script: 1023.5 with the bin as it is; no clipping, as for the same data
    /// without the zeros).
    @Test func exactZerosDoNotPullTheThresholdIn() {
        let h = ObserverTestData.histogram(ObserverTestData.slowDecayWithZeros)
        #expect(h.exponent == 0)
        #expect(EntropyObserver().range(h, scheme: .uint8Asymmetric) == 0...1500)
    }

    /// Extents 400 and 1200: the sides get 64 and 192 of the 256 levels.
    @Test func twoSidedDataAsymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.twoSided)
        #expect(h.exponent == 0)
        #expect(EntropyObserver().range(h, scheme: .uint8Asymmetric) == -156.5...952.5)
    }

    /// Extents 40 and 1200: the negative side's 8 levels are under 16, so it is not clipped (KL over 8
    /// target bins would start the grid at -23.5, the script says).
    @Test func sideWithFewLevelsIsNotClipped() {
        let h = ObserverTestData.histogram(ObserverTestData.smallNegativeSide)
        #expect(h.exponent == 0)
        #expect(EntropyObserver().range(h, scheme: .uint8Asymmetric) == -40...1200)
    }

    /// The boundary: a side of 40 unit bins, floor(500 exp(-m/3)) + 1, is clipped at 31.5 with 16
    /// levels (the script) and keeps its extent with 15.
    @Test func sixteenLevelsAreClippedFifteenAreNot() {
        let side = MagnitudeCounts(Dictionary(uniqueKeysWithValues: (0..<40).map { ($0, (500 * exp(-Double($0) / 3)).rounded(.down) + 1) }))
        #expect(EntropyObserver.threshold(side, targetBins: 16, width: 1, extent: 40) == 31.5)
        #expect(EntropyObserver.threshold(side, targetBins: 15, width: 1, extent: 40) == 40)
    }

    @Test func fewBinsAreNotClipped() {
        #expect(EntropyObserver.threshold(MagnitudeCounts([0: 3, 1: 2, 2: 1]), targetBins: 128, width: 1, extent: 2.5) == 2.5)
        var h = Histogram()
        h.add([1, 1, 1])
        #expect(EntropyObserver().range(h, scheme: .int8Symmetric) == -1...1)
    }
}
