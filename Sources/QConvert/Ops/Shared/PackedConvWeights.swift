import CKernels
import QConvertIR

/// Convolution weights in CKernels's packed layout, one block per group: packed once when the node is
/// compiled if W is a constant, else per run.
///
/// Why packed: the micro-kernel streams the weights of a tile of output channels k-major; packing them
/// once takes that reshuffle out of every run.
final class PackedConvWeights: @unchecked Sendable {
    let groups: Int
    /// Output channels per group (rows of A).
    let rows: Int
    /// Input channels per group × kernel size (columns of A, rows of B).
    let depth: Int
    private let groupStride: Int
    private let storage: UnsafeMutablePointer<Float>

    /// Packs W (M, C/G, kernel...) for `groups` groups; the shape must already be checked.
    init(_ w: Tensor, groups: Int) {
        self.groups = groups
        rows = w.shape[0] / groups
        depth = w.shape[0] == 0 ? 0 : w.count / w.shape[0]
        groupStride = qc_gemm_packed_size(Int32(rows), Int32(depth))
        storage = .allocate(capacity: max(1, groupStride * groups))
        w.withElements(of: Float.self) { values in
            for g in 0..<groups where rows * depth > 0 {
                qc_gemm_pack(values.baseAddress! + g * rows * depth, Int32(rows), Int32(depth), Int32(depth), storage + g * groupStride)
            }
        }
    }

    deinit { storage.deallocate() }

    /// Packed rows `start...` of group `g` (start a multiple of the kernel's tile rows).
    func group(_ g: Int, fromRow start: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage + g * groupStride + start * depth)
    }
}
