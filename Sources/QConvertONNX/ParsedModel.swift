import COnnx
import Synchronization

/// Owns a parsed C++ ModelProto. Tensors decoded from it borrow its raw_data bytes instead of copying
/// them, and hold this object as their storage owner, so it is freed when the last of them is.
final class ParsedModel: @unchecked Sendable {
    let handle: qc_model
    /// For a model being written: raw_data buffers borrowed from parsed models, returned before this
    /// message (which owns them while lent) is freed.
    var loans: RawDataLoans?

    init(handle: qc_model) {
        self.handle = handle
    }

    deinit {
        loans?.returnAll()
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

/// The storage owner of a tensor whose bytes are one whole data field (raw_data, float_data...) of a
/// parsed TensorProto.
///
/// Why: the writer can then lend that very buffer to the message it serializes (swap in, serialize,
/// swap back) instead of copying every weight once more. `lend()` admits one writer at a time; a
/// concurrent writer gets false and copies instead. A buffer of `RawDataLoans.minimumLoan` bytes or
/// more (the only ones lent) lives on the heap and never moves or dies while lent, so readers of the
/// tensor are unaffected.
final class ParsedTensorData: @unchecked Sendable {
    let parsed: AnyObject
    let tensor: qc_tensor
    let field: qc_data_field
    private let lent = Atomic<Bool>(false)

    init(parsed: AnyObject, tensor: qc_tensor, field: qc_data_field) {
        self.parsed = parsed
        self.tensor = tensor
        self.field = field
    }

    /// Where the field's bytes are now (they move only while lent).
    var bytes: UnsafeRawBufferPointer {
        switch field {
        case QC_FLOAT_DATA: UnsafeRawBufferPointer(repeatedView { qc_tensor_float_data(tensor, $0) })
        case QC_INT32_DATA: UnsafeRawBufferPointer(repeatedView { qc_tensor_int32_data(tensor, $0) })
        case QC_INT64_DATA: UnsafeRawBufferPointer(repeatedView { qc_tensor_int64_data(tensor, $0) })
        case QC_DOUBLE_DATA: UnsafeRawBufferPointer(repeatedView { qc_tensor_double_data(tensor, $0) })
        case QC_UINT64_DATA: UnsafeRawBufferPointer(repeatedView { qc_tensor_uint64_data(tensor, $0) })
        default: qc_tensor_raw_data(tensor).raw
        }
    }

    /// Marks the buffer lent; false if another writer has it.
    func lend() -> Bool {
        lent.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func giveBack() {
        lent.store(false, ordering: .releasing)
    }
}
