import COnnx
import QConvertIR

/// The data buffers a writer has borrowed from parsed models for one serialization.
///
/// Why: a weight read from a file already sits in a protobuf field; swapping that field into the
/// outgoing message (and back after writing) saves copying every weight again. The outgoing message
/// (a ParsedModel) holds its loans and returns them before it is freed, since it owns the buffers
/// while they are lent.
final class RawDataLoans {
    private var loans: [(source: ParsedTensorData, target: qc_tensor)] = []

    /// Buffers shorter than this are copied, never lent. A short std::string keeps its bytes inside
    /// the string object itself (15 bytes in libstdc++), so a swap would move them out from under
    /// every other tensor viewing them (an Identity's output shares its input's bytes); a heap
    /// buffer stays where it is while lent. Copying a few KiB costs nothing.
    static let minimumLoan = 4096

    /// Moves `storage`'s buffer into `target` when it is a whole parsed data field not lent elsewhere
    /// and at least `minimumLoan` bytes long. The target then holds the bytes in the same field the
    /// source file used.
    func borrow(_ storage: TensorStorage, into target: qc_tensor) -> Bool {
        guard storage.bytes.count >= Self.minimumLoan, let source = storage.owner as? ParsedTensorData else { return false }
        let current = source.bytes
        guard current.count == storage.bytes.count, current.baseAddress == storage.bytes.baseAddress, source.lend()
        else { return false }
        qc_tensor_swap_data(target, source.tensor, source.field)
        loans.append((source, target))
        return true
    }

    /// Swaps every buffer back to the parsed message it came from.
    func returnAll() {
        for (source, target) in loans.reversed() {
            qc_tensor_swap_data(target, source.tensor, source.field)
            source.giveBack()
        }
        loans.removeAll()
    }
}
