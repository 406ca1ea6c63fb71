import QConvertIR

/// Element counts of shapes that come from tensor values (Reshape's, Expand's, ConstantOfShape's,
/// Range's length...), checked so a bad model is an error rather than a trap: a negative dim, a count
/// that overflows, or one above `limit`, which no real model needs and whose allocation would abort
/// the process.
enum ShapeCount {
    /// The most elements a computed shape may have (2^31, 8 GiB of float32: two such tensors, an
    /// op's input and output, fit a 24 GiB machine).
    static let limit = 1 << 31

    /// The product of `shape`, checked as above. An empty shape's other dims are held to the limit
    /// too: strides and slice sizes still multiply them ([0, 2^40, 2^40] would overflow those).
    static func of(_ shape: [Int]) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw QConvertError("shape \(shape) has a negative dimension") }
        var count = 1
        for dim in shape where dim != 0 {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= limit else { throw QConvertError("shape \(shape) has too many elements") }
            count = product
        }
        return shape.contains(0) ? 0 : count
    }
}
