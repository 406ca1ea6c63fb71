/// Mean and (biased) variance of a run of float32 values, in float64: the statistics
/// LayerNormalization, Instance/GroupNormalization and training-mode BatchNormalization normalise with.
///
/// Why two passes in float64: variance as E[(x - mean)^2] does not cancel catastrophically when the
/// mean is large against the spread, and summing in float64 keeps results independent of the order
/// ONNX Runtime happens to use, within float32 precision.
enum Moments {
    /// Mean and variance of the `count` consecutive values starting at `values`.
    static func of(_ values: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        of(values, runs: CollectionOfOne(0), length: count)
    }

    /// Mean and variance of the values in runs of `length` starting at each offset of `runs` (one
    /// channel's planes across a batch, for BatchNormalization in training mode).
    static func of(_ values: UnsafePointer<Float>, runs: some Sequence<Int>, length: Int) -> (mean: Double, variance: Double) {
        var sum = 0.0, count = 0
        for start in runs {
            for k in start..<(start + length) { sum += Double(values[k]) }
            count += length
        }
        guard count > 0 else { return (0, 0) }
        let mean = sum / Double(count)
        var squares = 0.0
        for start in runs {
            for k in start..<(start + length) {
                let d = Double(values[k]) - mean
                squares += d * d
            }
        }
        return (mean, squares / Double(count))
    }
}
