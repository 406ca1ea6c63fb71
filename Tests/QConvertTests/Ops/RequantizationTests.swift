@testable import QConvert
import Testing

/// The two requantization forms on hand-computed values: ONNX Runtime's float multiply (ties to even,
/// the zero point added after or, for its elementwise kernels, before rounding) and integer-only fixed
/// point (TensorFlow Lite's multiplier, rounding and shift).
@Suite struct RequantizationTests {
    @Test func fixedPointMultiplierHoldsAThirtyOneBitFraction() {
        let threeQuarters = FixedPointMultiplier(0.75)
        #expect(threeQuarters.multiplier == 1_610_612_736 && threeQuarters.shift == 0)  // 0.75 · 2^31
        let tenth = FixedPointMultiplier(0.1)
        #expect(tenth.multiplier == 1_717_986_918 && tenth.shift == -3)  // round(0.8 · 2^31), 0.8 · 2^-3
        let three = FixedPointMultiplier(3)
        #expect(three.multiplier == 1_610_612_736 && three.shift == 2)  // 0.75 · 2^2
        // A fraction rounding up to 2^31 becomes 2^30 with the next exponent.
        let almostOne = FixedPointMultiplier(1 - 0x1p-40)
        #expect(almostOne.multiplier == 1 << 30 && almostOne.shift == 1)
        #expect(FixedPointMultiplier(0x1p-40).multiplier == 0)
    }

    @Test func fixedPointRoundsHalvesUpThenAwayFromZero() {
        // M = 0.5 exactly: one rounding, SaturatingRoundingDoublingHighMul's, which sends halves up.
        let half = FixedPointMultiplier(0.5)
        #expect([-5, -3, -1, 1, 3, 5].map { half.apply(Int32($0)) } == [-2, -1, 0, 1, 2, 3])
        // M = 0.375 = 0.75 · 2^-1: round(0.75 x) then halve, halves away from zero.
        let threeEighths = FixedPointMultiplier(0.375)
        #expect([4, 5, -4, -5, 100].map { threeEighths.apply(Int32($0)) } == [2, 2, -2, -2, 38])
        // M = 3: x · 4 (saturating), then · 0.75.
        #expect(FixedPointMultiplier(3).apply(7) == 21)
        #expect(FixedPointMultiplier(3).apply(1 << 30) == 1_610_612_735)  // Int32.max · 0.75 = 1610612735.25, rounded
    }

    @Test func floatRequantizationRoundsToEvenBeforeOrAfterTheZeroPoint() {
        let after = Requantizer(mode: .float, multipliers: [0.5], exact: [0.5], zeroPoint: 3, range: 0...255)
        #expect([1, 3, 5, -7].map { after(Int32($0), channel: 0) } == [3, 5, 5, 0])  // 0.5→0, 1.5→2, 2.5→2, -3.5→-4
        let before = Requantizer(mode: .float, multipliers: [0.5], exact: [0.5], zeroPoint: 3, range: 0...255,
                                 zeroPointBeforeRounding: true)
        #expect([1, 3, 5, -7].map { before(Int32($0), channel: 0) } == [4, 4, 6, 0])  // 3.5→4, 4.5→4, 5.5→6, -0.5→0
        let signed = Requantizer(mode: .float, multipliers: [0.01, 100], exact: [0.01, 100], zeroPoint: -128, range: -128...127)
        #expect(signed(Int32.max, channel: 1) == 127 && signed(Int32.min, channel: 1) == -128 && signed(1000, channel: 0) == -118)
    }

    @Test func fixedPointRequantizationSaturatesAfterTheZeroPoint() {
        let fixed = Requantizer(mode: .fixedPoint, multipliers: [0.5], exact: [0.5], zeroPoint: 250, range: 0...255)
        #expect([1, 3, 10, 20, -600].map { fixed(Int32($0), channel: 0) } == [251, 252, 255, 255, 0])
    }

    @Test func requantizerFormsMultipliersAsOnnxRuntime() {
        // (0.1 · 0.3) / 0.7 in float32, which differs from the double quotient rounded to float32.
        let requantizer = Requantizer(mode: .float, inputScale: 0.1, weightScales: [0.3], outputScale: 0.7, zeroPoint: 0, range: 0...255)
        #expect(requantizer.multipliers == [Float(0.1) * Float(0.3) / Float(0.7)])
        #expect(requantizer.multipliers != [Float(Double(Float(0.1)) * Double(Float(0.3)) / Double(Float(0.7)))])
    }
}
