@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// Per-channel weight ranges on a hand-written [2, 3] weight: rows, columns, middle axes, errors.
@Suite struct WeightRangesTests {
    let weight = Tensor(shape: [2, 3], scalars: [Float(1), -2, 3, 0.5, 0.25, -0.125])

    @Test func outputChannels() throws {
        #expect(try WeightRanges.perChannel(weight, axis: 0) == [-3...3, -0.5...0.5])
        #expect(try WeightRanges.perChannel(weight, axis: 0, scheme: .uint8Asymmetric) == [-2...3, -0.125...0.5])
    }

    @Test func innerAxisAndNegativeAxis() throws {
        let expected: [ClosedRange<Float>] = [-1...1, -2...2, -3...3]
        #expect(try WeightRanges.perChannel(weight, axis: 1) == expected)
        #expect(try WeightRanges.perChannel(weight, axis: -1) == expected)
    }

    /// Shape [2, 2, 2], axis 1: channel c holds elements (o, c, i) for every o and i.
    @Test func middleAxisGathersAcrossOuterAndInner() throws {
        let w = Tensor(shape: [2, 2, 2], scalars: [Float(1), 2, 10, 20, -3, 4, -30, 40])
        #expect(try WeightRanges.perChannel(w, axis: 1, scheme: .uint8Asymmetric) == [-3...4, -30...40])
    }

    /// The min-max shortcut and the histogram path of the same observer agree; other methods run.
    @Test func minMaxShortcutMatchesTheObserver() throws {
        var rng = SeededGenerator(seed: 3)
        let w = Tensor(shape: [3, 5, 7], scalars: (0..<105).map { _ in Float.random(in: -2...1, using: &rng) })
        for axis in 0..<3 {
            for scheme in [QuantizationScheme.int8Symmetric, .uint8Asymmetric] {
                let direct = try WeightRanges.perChannel(w, axis: axis, scheme: scheme)
                let viaHistograms = try WeightRanges.perChannel(w, axis: axis, method: .percentile(100), scheme: scheme)
                #expect(direct == viaHistograms)
            }
            #expect(try WeightRanges.perChannel(w, axis: axis, method: .mse).count == w.shape[axis])
        }
    }

    @Test func rejectsNonFloatAndBadAxis() {
        #expect(throws: QConvertError.self) { try WeightRanges.perChannel(Tensor(scalars: [Int8(1)]), axis: 0) }
        #expect(throws: QConvertError.self) { try WeightRanges.perChannel(weight, axis: 2) }
    }
}
