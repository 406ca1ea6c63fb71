@testable import QConvert
import Testing

/// Expected ranges are printed by Scripts/observer-expectations.py (an independent numpy brute force
/// over the same candidates, integrating each bin directly) and pasted here.
@Suite struct MSEObserverTests {
    /// Values {0, 2}: width 2^-9, so 0's mass is spread over [0, 2^-9] and 2 is a point (its bin's
    /// support is clipped to max). On the uint8 grid for [0, 1] (scale s = 1/255 in float32, zero
    /// point 0, ends 0 and 255 s), 0 contributes the rounding noise s^2/12 and 2 the clipping error
    /// (2 - 255 s)^2.
    @Test func errorModelByHand() {
        var h = Histogram()
        h.add([0, 2])
        let model = MSEObserver.ErrorModel(BinnedDistribution(h))
        let s = Double(Float(1) / 255)
        let expected = s * s / 12 + (2 - 255 * s) * (2 - 255 * s)
        let actual = model.error(of: 0...1, scheme: .uint8Asymmetric)
        // The model sums prefix moments (E[x^2] - 2cE[x] + c^2), algebraically equal to the direct
        // form but rounded differently: agreement to a few units in the last place.
        #expect(abs(actual - expected) <= 4 * expected.ulp)
    }

    @Test func decayDataSymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.decay)
        #expect(MSEObserver().range(h, scheme: .int8Symmetric) == -1302...1302)
    }

    @Test func decayDataAsymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.decay)
        #expect(MSEObserver().range(h, scheme: .uint8Asymmetric) == 0...1422)
    }

    /// 40 x 1101 candidate pairs: searched exhaustively.
    @Test func twoSidedDataAsymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.mseTwoSided)
        #expect(h.exponent == 0)
        #expect(MSEObserver().range(h, scheme: .uint8Asymmetric) == -40...1090)
    }

    /// Symmetric on two-sided data: the grid saturates at -128 s below and 127 s above.
    @Test func twoSidedDataSymmetric() {
        let h = ObserverTestData.histogram(ObserverTestData.mseTwoSided)
        #expect(MSEObserver().range(h, scheme: .int8Symmetric) == -1081...1081)
    }

    /// Above the exhaustive limit the lattice-then-refine search still finds the minimum of a bowl.
    @Test func latticeSearchFindsTheMinimumOfABowl() {
        let (i, j) = MSEObserver.search(700, 1500) { i, j in
            let di = Double(i - 123), dj = Double(j - 1017)
            return di * di + 3 * dj * dj
        }
        #expect((i, j) == (123, 1017))
    }
}
