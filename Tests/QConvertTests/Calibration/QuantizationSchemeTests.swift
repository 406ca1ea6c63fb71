@testable import QConvert
import Testing

/// The grid observers model: ranges adjusted as the quantizer adjusts them, and its parameters.
@Suite struct QuantizationSchemeTests {
    /// [-1, 3] on uint8: scale 4/255, zero point 0 - round(-1 / (4/255)) = -round(-63.75) = 64.
    @Test func asymmetricParameters() {
        let grid = QuantizationScheme.uint8Asymmetric.parameters(for: -1...3)
        #expect(grid.scales == [Float(4) / 255] && grid.zeroPoints == [64])
        // [1, 3] is widened to [0, 3]: zero point 0.
        #expect(QuantizationScheme.uint8Asymmetric.parameters(for: 1...3).zeroPoints == [0])
    }

    /// [-1, 3] on symmetric int8 becomes [-3, 3]: scale 3/127, zero point 0; uint8 symmetric: 128.
    @Test func symmetricParameters() {
        #expect(QuantizationScheme.int8Symmetric.adjusted(-1...3) == -3...3)
        let grid = QuantizationScheme.int8Symmetric.parameters(for: -1...3)
        #expect(grid.scales == [Float(3) / 127] && grid.zeroPoints == [0])
        #expect(QuantizationScheme(type: .uint8, symmetric: true).parameters(for: -1...1).zeroPoints == [128])
        #expect(QuantizationScheme.int8Symmetric.levels == 256)
    }

    /// Ranges of subnormal width (a mutant of ppocrv4_det produced tensors in [-1.4e-45, 4.2e-45])
    /// gave scale 0 and a zero point of 0/0, trapping; the scale is now held to the smallest normal.
    @Test func subnormalRangesGetTheSmallestNormalScale() throws {
        let tiny = Float.leastNonzeroMagnitude
        for scheme in [QuantizationScheme.uint8Asymmetric, .int8Symmetric] {
            let params = scheme.parameters(for: (-tiny)...(3 * tiny))
            #expect(params.scales == [Float.leastNormalMagnitude])
            #expect(params.zeroPoints[0] >= Int32(scheme.qmin) && params.zeroPoints[0] <= Int32(scheme.qmax))
        }
        var h = Histogram()
        h.add([-tiny, 0, tiny, 3 * tiny])
        for method in [CalibrationMethod.minMax, .percentile(99.999), .entropy, .mse] {
            let range = try method.observer().range(h, scheme: .uint8Asymmetric)
            #expect(range.lowerBound <= 0 && range.upperBound >= 0, "\(method)")
        }
    }

    @Test func zeroBoundsArePositiveZero() {
        #expect(QuantizationScheme.uint8Asymmetric.adjusted(-0.0...2).lowerBound.sign == .plus)
        #expect(QuantizationScheme.uint8Asymmetric.adjusted(-2 ... -0.0).upperBound.sign == .plus)
        #expect(QuantizationScheme.int8Symmetric.adjusted(0...0).lowerBound.sign == .plus)
    }
}
