import QConvertIR

/// Element counts of shapes that come from tensor values (Reshape's, Expand's, ConstantOfShape's...),
/// checked so a bad model is an error rather than an overflow trap.
enum ShapeCount {
    /// The product of `shape`, which must have no negative dim and must not overflow.
    static func of(_ shape: [Int]) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw QConvertError("shape \(shape) has a negative dimension") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw QConvertError("shape \(shape) has too many elements") }
            count = product
        }
        return count
    }
}
