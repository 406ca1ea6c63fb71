import QConvert
import Testing

/// Activation grids from a range, against hand-computed values.
@Suite struct QuantParamsTests {
    /// [-1, 3] on uint8: s = 4 / 255, z = 0 - round(-1 / s) = round(63.75) = 64.
    @Test func asymmetricGrid() {
        let p = QuantParams.covering(lower: -1, upper: 3, type: .uint8, symmetric: false)
        #expect(p.scales == [Float(4) / 255] && p.zeroPoints == [64])
    }

    /// A range whose span overflows Float (values near ±3e38, from a hostile or broken model)
    /// still gets a finite scale covering it, not an infinite one that dequantizes to NaN.
    @Test func spanPastFloatRangeStaysFinite() {
        let p = QuantParams.covering(lower: -3e38, upper: 3e38, type: .uint8, symmetric: false)
        #expect(p.scales[0].isFinite && p.scales[0] > 0)
        #expect(p.coveredRange.lowerBound <= -2.9e38 && p.coveredRange.upperBound >= 2.9e38)
    }
}
