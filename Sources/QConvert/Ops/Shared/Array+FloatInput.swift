import QConvertIR

/// Reading a kernel's inputs with the checks every float kernel needs: present when required, and
/// float32, with errors naming the ONNX input and the dtype found.
extension Array where Element == Tensor? {
    /// Input `index` (ONNX name `name`), which must be given and float32.
    func floatInput(_ index: Int, _ name: String) throws -> Tensor {
        guard let tensor = try optionalFloatInput(index, name) else { throw QConvertError("missing input \(name)") }
        return tensor
    }

    /// Input `index` (ONNX name `name`) if given (nil when omitted); it must be float32.
    func optionalFloatInput(_ index: Int, _ name: String) throws -> Tensor? {
        guard index < count, let tensor = self[index] else { return nil }
        guard tensor.dataType == .float else { throw QConvertError("input \(name) must be float32, got \(tensor.dataType)") }
        return tensor
    }
}
