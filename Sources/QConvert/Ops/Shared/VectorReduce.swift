/// Sum and maximum of a contiguous run of floats, with independent partial results in SIMD lanes so
/// the loop vectorises (a single running sum is a serial dependency chain the compiler may not reorder).
///
/// Sums are computed as 16 interleaved partial sums added pairwise at the end, which is also more
/// accurate than one running sum over long runs.
enum VectorReduce {
    /// Σ values.
    static func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
        var lanes = SIMD16<Float>()
        var index = 0
        if let base = values.baseAddress {
            while index + 16 <= values.count {
                lanes += UnsafeRawPointer(base + index).loadUnaligned(as: SIMD16<Float>.self)
                index += 16
            }
        }
        var total = lanes.sum()
        while index < values.count {
            total += values[index]
            index += 1
        }
        return total
    }

    /// The largest value (−∞ for an empty run; NaN wins, as in ONNX Runtime's reductions).
    static func max(_ values: UnsafeBufferPointer<Float>) -> Float {
        var best = -Float.infinity
        for value in values where value > best || value.isNaN { best = value }
        return best
    }
}
