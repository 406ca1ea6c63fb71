import CKernels
import QConvertIR

/// Conv as GEMM on CKernels: per image and group, Y_g[M/G × P] = W_g[M/G × K] · im2col(X_g)[K × P], cut
/// into work items of output positions (whole output rows for 1-D/2-D convolutions, which CKernels
/// computes from a band: a padded, phase-split copy of the input) and, when there are few of those, of
/// output channels.
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

    var geometry: qc_conv_geometry { window.geometry(channels: inPerGroup) }

    /// Output positions per item: about 2 MFLOP of work and at least an eighth of the image, but at
    /// least 16 micro-kernel tiles wide (smaller images are shared out by output channels instead, since
    /// each item's last tile is partly empty); a multiple of the tile width, or whole output rows for
    /// 1-D/2-D convolutions.
    var positionGrain: Int {
        let tile = Int(qc_gemm_tile_columns())
        let work = (1 << 21) / max(1, 2 * outPerGroup * depth)
        let target = max(16 * tile, work, (positions + 7) / 8)
        if window.isPointwise || window.rank == 3 { return min(positions, (target + tile - 1) / tile * tile) }
        let rowWidth = max(1, window.output[2])
        return min(positions, (target + rowWidth - 1) / rowWidth * rowWidth)
    }

    /// Output channels per item: all, unless there are fewer position items than 4 (2 when an item
    /// would then have less than 8 MFLOP of work) to share out; each channel item repeats its position
    /// item's set-up, so small products are split less.
    func channelGrain(positionItems: Int) -> Int {
        let tile = Int(qc_gemm_tile_rows())
        let items = batch * groups * positionItems
        let work = 2 * outPerGroup * depth * positions * batch * groups
        let wanted = work >= 4 * (8 << 20) ? 4 : 2
        guard items < wanted, outPerGroup >= 2 * tile else { return max(1, outPerGroup) }
        let blocks = min((wanted + items - 1) / items, outPerGroup / tile)
        return ((outPerGroup + blocks - 1) / blocks + tile - 1) / tile * tile
    }

    /// Item counts: position items (`positionGrain` positions each) times channel items.
    func items() -> (positionGrain: Int, positionItems: Int, channelGrain: Int, channelItems: Int) {
        let positionGrain = max(1, self.positionGrain)
        let positionItems = (positions + positionGrain - 1) / positionGrain
        let channelGrain = self.channelGrain(positionItems: positionItems)
        return (positionGrain, positionItems, channelGrain, (outPerGroup + channelGrain - 1) / channelGrain)
    }

    /// Runs the convolution; `biases`: M floats, or nil for no bias.
    func run(_ x: UnsafePointer<Float>, _ weights: PackedConvWeights, biases: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let banded = !window.isPointwise && withUnsafePointer(to: geometry) { qc_band_supported($0) } != 0
        if banded {
            runBanded(x, weights, biases: biases, into: y, threads: threads)
        } else {
            runUnbanded(x, weights, biases: biases, into: y, threads: threads)
        }
    }

    /// Pointwise convolutions read the input rows in place; 3-D ones pack B from the image.
    func runUnbanded(_ x: UnsafePointer<Float>, _ weights: PackedConvWeights, biases: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int) {
        let (positionGrain, positionItems, channelGrain, channelItems) = items()
        let geometry = self.geometry
        let pointwise = window.isPointwise
        let scratchSize = pointwise ? qc_gemm_rows_scratch_size() : withUnsafePointer(to: geometry) { qc_conv_scratch_size($0) }
        Parallel.forEach(count: batch * groups * positionItems * channelItems, grain: 1, threads: threads) { items in
            let scratch = Scratch.floats(scratchSize)
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
                                 bias, 0, yg, Int32(positions), scratch)
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
