/// Mean and (biased) variance of a run of float32 values, in float64: the statistics
/// LayerNormalization and InstanceNormalization normalise with.
///
/// Why two passes in float64: variance as E[(x - mean)^2] does not cancel catastrophically when the
/// mean is large against the spread, and summing in float64 keeps results independent of the order
/// ONNX Runtime happens to use, within float32 precision.
enum Moments {
    /// Mean and variance of the `count` consecutive values starting at `values`.
    static func of(_ values: UnsafePointer<Float>, count: Int) -> (mean: Double, variance: Double) {
        guard count > 0 else { return (0, 0) }
        var sum = 0.0
        for k in 0..<count { sum += Double(values[k]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for k in 0..<count {
            let d = Double(values[k]) - mean
            squares += d * d
        }
        return (mean, squares / Double(count))
    }
}
