@testable import QConvert
import Testing

/// Every observer on the tensors real models produce that have no spread: all zeros (a ReLU that
/// never fires), one repeated value, a single element. The range must be the obvious one, not a
/// trap or NaN.
@Suite struct DegenerateDataTests {
    static let observers: [any RangeObserver] = [MinMaxObserver(), try! PercentileObserver(), EntropyObserver(), MSEObserver()]
    static let schemes: [QuantizationScheme] = [.uint8Asymmetric, .int8Symmetric]

    @Test func allZeros() {
        var h = Histogram()
        h.add([Float](repeating: 0, count: 5000))
        for observer in Self.observers {
            for scheme in Self.schemes {
                let range = observer.range(h, scheme: scheme)
                #expect(range == 0...0, "\(observer) \(scheme)")
                #expect(range.lowerBound.sign == .plus)
            }
        }
    }

    @Test func oneRepeatedValue() {
        var h = Histogram()
        h.add([Float](repeating: -2.5, count: 5000))
        for observer in Self.observers {
            #expect(observer.range(h, scheme: .uint8Asymmetric) == -2.5...0, "\(observer)")
            #expect(observer.range(h, scheme: .int8Symmetric) == -2.5...2.5, "\(observer)")
        }
    }

    @Test func singleElement() {
        var h = Histogram()
        h.add([3])
        for observer in Self.observers {
            #expect(observer.range(h, scheme: .uint8Asymmetric) == 0...3, "\(observer)")
        }
    }

    /// Values 1000 + k/1000: a window a million bins away from zero. Entropy sees [0, max] with bins
    /// merged down to at most 2048, all mass in the top two, so every clipping candidate loses the
    /// data entirely (infinite divergence) and nothing is clipped; MSE's candidates stay within the data.
    @Test func farFromZero() throws {
        var h = Histogram()
        h.add((0..<1000).map { 1000 + Float($0) / 1000 })
        #expect(h.binIndex(of: h.min) > 1_000_000)
        #expect(EntropyObserver().range(h, scheme: .uint8Asymmetric) == 0...h.max)
        #expect(EntropyObserver().range(h, scheme: .int8Symmetric) == -h.max...h.max)
        let mse = MSEObserver().range(h, scheme: .uint8Asymmetric)
        #expect(mse.lowerBound == 0 && mse.upperBound >= 1000 && mse.upperBound <= h.max)
        #expect(try PercentileObserver(percentile: 99).range(h, scheme: .int8Symmetric).upperBound >= 1000)
    }
}
