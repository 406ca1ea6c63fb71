@testable import QConvert
import Foundation
import Testing

/// `FastExp.exp` against float64 exp: relative error, overflow, underflow floor and NaN.
@Suite struct FastExpTests {
    @Test func relativeErrorIsWithinAFewUlps() {
        var worst = 0.0
        var x: Float = -86
        while x < 88.7 {
            let expected = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(FastExp.exp(x)) - expected) / expected)
            x += 0.001_37
        }
        #expect(worst < 4e-7, "worst relative error \(worst)")
    }

    @Test func edges() {
        #expect(FastExp.exp(0) == 1)
        #expect(FastExp.exp(89) == .infinity)
        #expect(FastExp.exp(.infinity) == .infinity)
        #expect(FastExp.exp(88.7) < .infinity)
        #expect(FastExp.exp(-.infinity) < 3e-38 && FastExp.exp(-.infinity) >= 0)
        #expect(FastExp.exp(.nan).isNaN)
    }
}
