import QConvertIR

/// Reading a kernel's inputs by position, with errors naming the ONNX input when a required one is
/// missing.
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
