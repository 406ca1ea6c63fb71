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

/// Conv as GEMM on CKernels: per image and group, Y_g[M/G × P] = W_g[M/G × K] · im2col(X_g)[K × P], cut
/// into work items of output positions (whole output rows for 1-D/2-D convolutions, which CKernels
/// computes from a padded band of input rows) and, when there are few of those, of output channels.
///
/// Item boundaries depend on the shapes and the CPU's tile size only; each element's sum runs in the
/// same order whatever the split, so results do not depend on the thread count.
struct ConvGemm {
    let window: SpatialWindow
    let batch: Int
    let groups: Int
    let inPerGroup: Int
    let outPerGroup: Int

    var positions: Int { window.outputSize }
    var depth: Int { inPerGroup * window.kernelSize }

    var geometry: qc_conv_geometry {
        let w = window
        func c(_ v: Int) -> Int32 { Int32(v) }
        return qc_conv_geometry(
            channels: c(inPerGroup), in_d: c(w.input[0]), in_h: c(w.input[1]), in_w: c(w.input[2]),
            out_d: c(w.output[0]), out_h: c(w.output[1]), out_w: c(w.output[2]),
            kernel_d: c(w.kernel[0]), kernel_h: c(w.kernel[1]), kernel_w: c(w.kernel[2]),
            stride_d: c(w.strides[0]), stride_h: c(w.strides[1]), stride_w: c(w.strides[2]),
            dilation_d: c(w.dilations[0]), dilation_h: c(w.dilations[1]), dilation_w: c(w.dilations[2]),
            pad_d: c(w.padBegin[0]), pad_h: c(w.padBegin[1]), pad_w: c(w.padBegin[2]))
    }

    /// Output positions per item: about 2 MFLOP of work, at least four micro-kernel tiles wide and at
    /// least an eighth of the image; a multiple of the tile width, or whole output rows for 1-D/2-D
    /// convolutions (which CKernels computes on rows padded to `paddedRowWidth`).
    var positionGrain: Int {
        let tile = Int(qc_gemm_tile_columns())
        let work = (1 << 21) / max(1, 2 * outPerGroup * depth)
        let target = max(4 * tile, work, (positions + 7) / 8)
        if window.isPointwise || window.rank == 3 { return min(positions, (target + tile - 1) / tile * tile) }
        let rowWidth = max(1, window.output[2]), paddedRowWidth = rowWidth + (window.kernel[2] - 1) * window.dilations[2] / window.strides[2]
        let rows = max((target + rowWidth - 1) / rowWidth, (4 * tile + paddedRowWidth - 1) / paddedRowWidth)
        return min(positions, rows * rowWidth)
    }

    /// Output channels per item: all, unless there are fewer than 4 position items to share out.
    func channelGrain(positionItems: Int) -> Int {
        let tile = Int(qc_gemm_tile_rows())
        let items = batch * groups * positionItems
        guard items < 4, outPerGroup >= 2 * tile else { return max(1, outPerGroup) }
        let blocks = min((4 + items - 1) / items, outPerGroup / tile)
        return ((outPerGroup + blocks - 1) / blocks + tile - 1) / tile * tile
    }

    /// `biases`: M floats, or nil for no bias.
    func run(_ x: UnsafePointer<Float>, _ weights: PackedConvWeights, biases: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let positionGrain = max(1, self.positionGrain)
        let positionItems = (positions + positionGrain - 1) / positionGrain
        let channelGrain = self.channelGrain(positionItems: positionItems)
        let channelItems = (outPerGroup + channelGrain - 1) / channelGrain
        let geometry = self.geometry
        let pointwise = window.isPointwise
        let scratchSize = pointwise ? qc_gemm_rows_scratch_size() : withUnsafePointer(to: geometry) { qc_conv_scratch_size(Int32(channelGrain), $0) }
        Parallel.forEach(count: batch * groups * positionItems * channelItems, grain: 1, threads: threads) { items in
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(1, scratchSize) * 4, alignment: 64).bindMemory(to: Float.self, capacity: scratchSize)
            defer { scratch.deallocate() }
            for item in items {
                let (rest, channelItem) = item.quotientAndRemainder(dividingBy: channelItems)
                let (image, positionItem) = rest.quotientAndRemainder(dividingBy: positionItems)
                let g = image % groups
                let columns = positionItem * positionGrain..<min(positions, (positionItem + 1) * positionGrain)
                let firstRow = channelItem * channelGrain, rowCount = min(channelGrain, outPerGroup - firstRow)
                let xg = x + image * inPerGroup * window.inputSize
                let yg = y + (image * outPerGroup + firstRow) * positions + columns.lowerBound
                let a = weights.group(g, fromRow: firstRow)
                let bias = biases.map { $0 + g * outPerGroup + firstRow }
                if pointwise {
                    let rows = (0..<inPerGroup).map { Optional(xg + $0 * positions) }
                    qc_gemm_rows(a, Int32(rowCount), Int32(inPerGroup), rows, Int32(columns.lowerBound), Int32(columns.count),
                                 bias, yg, Int32(positions), scratch)
                } else {
                    withUnsafePointer(to: geometry) { g in
                        qc_conv(a, Int32(rowCount), xg, g, Int32(columns.lowerBound), Int32(columns.upperBound),
                                bias, yg, Int32(positions), scratch)
                    }
                }
            }
        }
    }
}
