@testable import QConvert
import Testing

/// Scale and zero point from a range, computed by hand as ONNX Runtime defines them.
@Suite struct QuantizationSchemeTests {
    /// [-1, 3] on uint8: scale 4/255, zero point round(0 + 1 / (4/255)) = round(63.75) = 64.
    @Test func asymmetricParameters() {
        let (scale, zero) = QuantizationScheme.uint8Asymmetric.parameters(for: -1...3)
        #expect(scale == Float(4) / 255 && zero == 64)
        // [1, 3] is widened to [0, 3]: zero point 0.
        #expect(QuantizationScheme.uint8Asymmetric.parameters(for: 1...3) == (Float(3) / 255, 0))
    }

    /// [-1, 3] on symmetric int8 becomes [-3, 3]: scale 6/254, zero point 0.
    @Test func symmetricParameters() {
        #expect(QuantizationScheme.int8Symmetric.adjusted(-1...3) == -3...3)
        #expect(QuantizationScheme.int8Symmetric.parameters(for: -1...3) == (Float(6) / 254, 0))
        let uint8Symmetric = QuantizationScheme(qmin: 0, qmax: 255, symmetric: true)
        #expect(uint8Symmetric.parameters(for: -1...1).zeroPoint == 128)
    }

    @Test func emptyRangeGetsScaleOne() {
        #expect(QuantizationScheme.uint8Asymmetric.parameters(for: 0...0) == (1, 0))
        #expect(QuantizationScheme.int8Symmetric.parameters(for: 0...0) == (1, 0))
    }

    @Test func zeroBoundsArePositiveZero() {
        #expect(QuantizationScheme.uint8Asymmetric.adjusted(-0.0...2).lowerBound.sign == .plus)
        #expect(QuantizationScheme.uint8Asymmetric.adjusted(-2 ... -0.0).upperBound.sign == .plus)
        #expect(QuantizationScheme.int8Symmetric.adjusted(0...0).lowerBound.sign == .plus)
    }
}
