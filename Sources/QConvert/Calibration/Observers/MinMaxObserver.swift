/// The exact range of the data: `[min(min x, 0), max(max x, 0)]`, or `[-m, m]` with
/// `m = max |x|` for a symmetric scheme.
///
/// Why: nothing is clipped, so no value saturates; the price is resolution when a few outliers
/// stretch the range. The sane default for weights, which have no outliers worth clipping.
public struct MinMaxObserver: RangeObserver {
    public init() {}

    public func range(_ histogram: Histogram, scheme: QuantizationScheme) -> ClosedRange<Float> {
        guard histogram.count > 0 else { return 0...0 }
        return scheme.adjusted(histogram.min...histogram.max)
    }
}
