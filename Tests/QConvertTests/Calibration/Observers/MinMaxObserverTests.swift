@testable import QConvert
import Testing

/// MinMax on hand-picked values: the data range, widened to zero, or made symmetric.
@Suite struct MinMaxObserverTests {
    @Test func asymmetricRangeIsTheDataRangeWithZero() {
        var h = Histogram()
        h.add([-0.5, 2, 7.25])
        #expect(MinMaxObserver().range(h, scheme: .uint8Asymmetric) == -0.5...7.25)
        var positive = Histogram()
        positive.add([3, 4])
        #expect(MinMaxObserver().range(positive, scheme: .uint8Asymmetric) == 0...4)
        var negative = Histogram()
        negative.add([-3, -4])
        #expect(MinMaxObserver().range(negative, scheme: .uint8Asymmetric) == -4...0)
    }

    @Test func symmetricRangeIsTheLargestMagnitude() {
        var h = Histogram()
        h.add([-0.5, 2, -7.25])
        #expect(MinMaxObserver().range(h, scheme: .int8Symmetric) == -7.25...7.25)
    }

    @Test func noDataGivesZero() {
        var h = Histogram()
        h.add([.nan])
        #expect(MinMaxObserver().range(h, scheme: .uint8Asymmetric) == 0...0)
    }
}
