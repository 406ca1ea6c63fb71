import COnnx

/// Owns a parsed C++ ModelProto. Tensors decoded from it borrow its raw_data bytes instead of copying
/// them, and hold this object as their storage owner, so it is freed when the last of them is.
final class ParsedModel: @unchecked Sendable {
    let handle: qc_model

    init(handle: qc_model) {
        self.handle = handle
    }

    deinit {
        qc_model_free(handle)
    }
}

/// Owns a parsed standalone TensorProto, the storage owner of the tensor decoded from it.
final class ParsedTensor: @unchecked Sendable {
    let handle: qc_tensor

    init(handle: qc_tensor) {
        self.handle = handle
    }

    deinit {
        qc_tensor_free(handle)
    }
}
