import QConvertIR

/// Tensor helpers kernels share: reading shape-like inputs and building outputs whose ONNX type differs
/// from the Swift type that stores them (bool as UInt8, any type moved as same-width unsigned bits).
extension Tensor {
    /// The elements of an integer tensor (a shape, axes, indices) as Int; `name` names it in errors.
    func intValues(_ name: String) throws -> [Int] {
        guard let values = integers() else {
            throw QConvertError("\(name) must be an integer tensor, got \(dataType)")
        }
        return values.map { Int($0) }
    }

    /// The single element of an integer tensor (Range's bounds, TopK's k...).
    func intScalar(_ name: String) throws -> Int {
        let values = try intValues(name)
        guard values.count == 1 else { throw QConvertError("\(name) must have one element, got shape \(shape)") }
        return values[0]
    }

    /// A new tensor of ONNX type `dataType` stored as `T` (which must have its width), filled by `fill`.
    init<T: TensorElement>(
        shape: [Int], dataType: DataType, of type: T.Type, fill: (UnsafeMutableBufferPointer<T>) throws -> Void
    ) rethrows {
        try self.init(shape: shape, of: T.self, fill: fill)
        self.dataType = dataType
    }
}

extension Array where Element == Tensor? {
    /// Input `index` of a node, which must be present; `name` is its ONNX name, for the error.
    func required(_ index: Int, _ name: String) throws -> Tensor {
        guard index < count, let tensor = self[index] else { throw QConvertError("missing input \(index) (\(name))") }
        return tensor
    }

    /// Optional input `index`, nil when omitted.
    func optional(_ index: Int) -> Tensor? {
        index < count ? self[index] : nil
    }
}

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
