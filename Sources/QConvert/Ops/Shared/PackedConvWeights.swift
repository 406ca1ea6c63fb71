import CKernels
import QConvertIR

/// Convolution weights in CKernels's packed layout, one block per group: packed once when the node is
/// compiled if W is a constant, else per run. For Conv, A_g = W_g (M/G × C/G·kernel); for ConvTranspose,
/// A_g = W_gᵀ (M/G·kernel × C/G), its weights being stored (C, M/G, kernel...).
///
/// Why packed: the micro-kernel streams the weights of a tile of output channels k-major; packing them
/// once takes that reshuffle out of every run.
final class PackedConvWeights: @unchecked Sendable {
    let groups: Int
    /// Rows of A per group.
    let rows: Int
    /// Columns of A (rows of B).
    let depth: Int
    private let groupStride: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs Conv weights W (M, C/G, kernel...), or with `transposed` ConvTranspose weights
    /// (C, M/G, kernel...), for `groups` groups; the shape must already be checked.
    init(_ w: Tensor, groups: Int, transposed: Bool = false) {
        self.groups = groups
        let perGroup = w.count / max(1, groups)
        let storedRows = w.shape[0] / groups, storedColumns = storedRows == 0 ? 0 : perGroup / storedRows
        (rows, depth) = transposed ? (storedColumns, storedRows) : (storedRows, storedColumns)
        groupStride = qc_gemm_packed_size(Int32(rows), Int32(depth))
        storage = .allocate(capacity: max(1, groupStride * groups))
        let (rowStride, columnStride) = transposed ? (1, storedColumns) : (storedColumns, 1)
        w.withElements(of: Float.self) { values in
            for g in 0..<groups where rows * depth > 0 {
                qc_gemm_pack(values.baseAddress! + g * perGroup, Int32(rows), Int32(depth), Int32(rowStride), Int32(columnStride),
                             storage + g * groupStride)
            }
        }
    }

    deinit { storage.deallocate() }

    /// Packed rows `start...` of group `g` (start a multiple of the kernel's tile rows).
    func group(_ g: Int, fromRow start: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage + g * groupStride + start * depth)
    }
}
