@testable import QConvert
import QConvertTestSupport
import Testing

/// The streaming histogram: hand-computed geometry, exact re-binning, and the property calibration
/// in shards relies on (one pass and any split-and-merge give identical histograms).
@Suite struct HistogramTests {
    /// The smallest width fitting [0, 3] is 2^-9: 3 / 2^-9 = 1536 < 2048, while 2^-10 needs 3072 bins.
    @Test func smallestFittingWidth() {
        var h = Histogram()
        h.add([0, 1, 2, 3])
        #expect(h.exponent == -9)
        #expect(h.windowStart == 0)
        #expect([0, 512, 1024, 1536].map(h.count(atIndex:)) == [1, 1, 1, 1])
        #expect(h.counts.reduce(0, +) == 4)
        #expect((h.count, h.min, h.max) == (4, 0, 3))
    }

    /// Raised to -3, [-5, -4, 0, 1, 2] (width 2^-8: 7 / 2^-8 = 1792 bins) holds its two lowest values
    /// in -3's bin (index -768) and starts there; raised past its maximum, everything sits at the floor.
    @Test func raisingToAFloorMovesTheValuesBelowIntoItsBin() {
        var h = Histogram()
        h.add([-5, -4, 0, 1, 2])
        #expect(h.exponent == -8)
        let raised = h.raised(to: -3)
        #expect((raised.count, raised.min, raised.max, raised.exponent) == (5, -3, 2, -8))
        #expect(raised.count(atIndex: -768) == 2 && raised.count(atIndex: -1280) == 0 && raised.count(atIndex: 0) == 1)
        #expect(raised.counts.reduce(0, +) == 5 && raised.windowStart == -768)
        #expect(h.raised(to: -6) == h)
        let all = h.raised(to: 3)
        #expect((all.min, all.max, all.count(atIndex: 768)) == (3, 3, 5))
    }

    /// [-1, 0.5] at 2^-10 spans bins -1024...512 (1537 bins); at 2^-11, -2048...1024 is too many.
    @Test func negativeValuesStartTheWindowAtTheMinimum() {
        var h = Histogram()
        h.add([0.5, -1])
        #expect(h.exponent == -10)
        #expect(h.windowStart == -1024)
        #expect(h.count(atIndex: -1024) == 1)
        #expect(h.count(atIndex: 512) == 1)
    }

    /// Adding 100 to a histogram of [0, 3] at 2^-9 forces 2^-4 (100 / 2^-4 = 1600); old bins
    /// 0, 512, 1024, 1536 shift right by 5 to 0, 16, 32, 48.
    @Test func rebinningMovesCountsExactly() {
        var h = Histogram()
        h.add([0, 1, 2, 3])
        h.add([100])
        #expect(h.exponent == -4)
        #expect([0, 16, 32, 48, 1600].map(h.count(atIndex:)) == [1, 1, 1, 1, 1])
        #expect(h.counts.reduce(0, +) == 5)
        var once = Histogram()
        once.add([0, 1, 2, 3, 100])
        #expect(h == once)
    }

    @Test func constantTensorUsesTheResolutionFloor() {
        var h = Histogram()
        h.add([5, 5, 5])
        // 5 = 1.25 * 2^2, so one float32 ulp there is 2^(2-23) = 2^-21 and 5 sits in bin 5 * 2^21.
        #expect(h.exponent == -21)
        #expect(h.count(atIndex: 5 << 21) == 3)
        var zeros = Histogram()
        zeros.add([0, -0.0, 0])
        #expect(zeros.exponent == Histogram.minimumExponent)
        #expect(zeros.count(atIndex: 0) == 3)
        #expect(zeros.min.sign == .plus && zeros.max.sign == .plus)
    }

    /// Every value lands in bin floor(x / 2^e), computed here per element: tiny negatives (whose
    /// scaled value rounds towards 0), exact bin edges, zeros and -0, on the short-input and
    /// four-lane paths, and on the float fast path (width <= 1) and its Double fallbacks (width > 1,
    /// or values far from 0 relative to the width).
    @Test(arguments: [(1000, Float(1), Float(0)), (10_000, 1, 0), (10_000, 1000, 0), (5000, 1, 1_000_000)])
    func binsMatchTheDefinition(count: Int, scale: Float, shift: Float) {
        var rng = SeededGenerator(seed: UInt64(count))
        let special: [Float] = [-1e-30, -Float.leastNonzeroMagnitude, 0, -0.0, -0.5, 0.5, -3, 3]
        let values: [Float] = (0..<count).map { k in
            (k % 3 == 0 ? special[k / 3 % special.count] : Float.random(in: -3...3, using: &rng)) * scale + shift
        }
        var h = Histogram()
        h.add(values)
        #expect((scale > 1) == (h.exponent > 0))
        var expected: [Int: Int] = [:]
        let binScale = Double(sign: .plus, exponent: -h.exponent, significand: 1)
        for x in values { expected[Int((Double(x) * binScale).rounded(.down)), default: 0] += 1 }
        if shift == 0 { #expect(expected[-1] ?? 0 > 0) }
        for (index, n) in expected { #expect(h.count(atIndex: index) == n, "bin \(index)") }
        #expect(h.counts.reduce(0, +) == count)
    }

    @Test func emptyTensorChangesNothing() {
        var h = Histogram()
        h.add([Float]())
        #expect(h == Histogram())
        h.add([1, 2])
        let before = h
        h.add([Float]())
        #expect(h == before)
    }

    /// ±2^-149 (the smallest subnormal): the floor 2^-160 would need 4096 bins; 2^-158 puts them
    /// at bins -512 and 512.
    @Test func subnormals() {
        let tiny = Float.leastNonzeroMagnitude
        var h = Histogram()
        h.add([tiny, -tiny])
        #expect(h.exponent == -158)
        #expect(h.count(atIndex: 512) == 1 && h.count(atIndex: -512) == 1)
    }

    @Test func extremeRange() {
        let big = Float.greatestFiniteMagnitude
        var h = Histogram()
        h.add([-big, 0, big])
        #expect(h.count == 3)
        #expect(h.counts.reduce(0, +) == 3)
        #expect(h.count(atIndex: h.binIndex(of: big)) == 1)
        #expect(h.count(atIndex: h.binIndex(of: -big)) == 1)
        #expect(Histogram.fits(-big, big, exponent: h.exponent))
        #expect(!Histogram.fits(-big, big, exponent: h.exponent - 1))
    }

    @Test func nonFiniteValuesAreCountedApart() {
        var h = Histogram()
        h.add([1, .nan, .infinity, 2, -.infinity])
        #expect((h.count, h.nonFinite, h.min, h.max) == (2, 3, 1, 2))
        #expect(h.counts.reduce(0, +) == 2)
    }

    /// Random batches at wildly different scales, one pass vs random shards merged in random order.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func shardedMergeEqualsOnePass(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let batches: [[Float]] = (0..<24).map { _ in
            let scale = Float(sign: .plus, exponent: Int.random(in: -20...20, using: &rng), significand: 1)
            let shift = Float.random(in: -3...3, using: &rng) * scale
            return (0..<Int.random(in: 0...300, using: &rng)).map { _ in
                Float.random(in: -1...1, using: &rng) * scale + shift
            }
        }
        var once = Histogram()
        for batch in batches { once.add(batch) }
        #expect(once.counts.reduce(0, +) == once.count)

        var shards = [Histogram](repeating: Histogram(), count: 4)
        for batch in batches { shards[Int.random(in: 0..<4, using: &rng)].add(batch) }
        for shard in shards { #expect(shard.counts.reduce(0, +) == shard.count) }
        var merged = Histogram()
        for index in shards.indices.shuffled(using: &rng) { merged.merge(shards[index]) }
        #expect(merged == once)
        var reversed = shards[3]
        reversed.merge(shards[2])
        reversed.merge(shards[1])
        reversed.merge(shards[0])
        #expect(reversed == once)
    }

    @Test func mergingAnEmptyHistogramChangesNothing() {
        var h = Histogram()
        h.add([1, 2, 3])
        let before = h
        h.merge(Histogram())
        #expect(h == before)
        var empty = Histogram()
        empty.merge(before)
        #expect(empty == before)
    }
}
