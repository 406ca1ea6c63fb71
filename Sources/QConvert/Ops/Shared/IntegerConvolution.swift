import CKernels
import QConvertIR

/// The int32 accumulators of an integer convolution (QLinearConv before requantization, ConvInteger):
///     acc[n, m, o] = Σ_{c < C/G, k} (w[m, c, k] − w_zero[m]) · (x[n, g·C/G + c, o·s − pad + k·d] − x_zero)
/// where g is output channel m's group and x reads as x_zero (a real 0) outside the input.
///
/// On CKernels's integer GEMM: per image and group, A_g = W_g − w_zero (packed once when W is a
/// constant) times B = im2col(X_g − x_zero) packed panel by panel, over work items of output positions.
/// Sums are exact, so any split gives the same result.
struct IntegerConvolution {
    let window: SpatialWindow
    let groups: Int
    let weights: PackedIntegerWeights

    /// Output positions per work item: about 2^20 multiply-adds, a whole number of B panels.
    func positionGrain(outPerGroup: Int) -> Int {
        let tile = Int(qc_igemm_tile_columns())
        let work = (1 << 20) / max(1, outPerGroup * weights.depth)
        return max(1, (work + tile - 1) / tile) * tile
    }

    /// acc for x (N, C, spatial...) of 8-bit type with zero point `xZeroPoint`, as an int32 tensor
    /// (N, M, output spatial...).
    func accumulate(_ x: Tensor, xZeroPoint: Int32, threads: Int) -> Tensor {
        let (batch, channels, outPerGroup) = (x.shape[0], x.shape[1], weights.rows)
        let outChannels = outPerGroup * groups, positions = window.outputSize
        let geometry = window.geometry(channels: channels / groups)
        let grain = positionGrain(outPerGroup: outPerGroup)
        let items = (positions + grain - 1) / grain
        let isSigned: Int32 = x.dataType == .int8 ? 1 : 0
        let imageGroupSize = channels / groups * window.inputSize
        return Tensor(shape: [batch, outChannels] + window.outputShape, of: Int32.self) { acc in
            guard let out = acc.baseAddress, acc.count > 0 else { return }
            x.withElements(of: UInt8.self) { bytes in
                guard let image = bytes.baseAddress else { return }
                let scratchSize = withUnsafePointer(to: geometry) { qc_iconv_scratch_size($0) }
                Parallel.forEach(count: batch * groups * items, grain: 1, threads: threads) { chunk in
                    let scratch = UnsafeMutablePointer<Int16>.allocate(capacity: scratchSize)
                    defer { scratch.deallocate() }
                    for item in chunk {
                        let (imageGroup, positionItem) = item.quotientAndRemainder(dividingBy: items)
                        let g = imageGroup % groups
                        let n0 = positionItem * grain, n1 = min(positions, n0 + grain)
                        let c = out + imageGroup * outPerGroup * positions + n0
                        withUnsafePointer(to: geometry) { geometry in
                            qc_iconv(weights.group(g), Int32(outPerGroup), image + imageGroup * imageGroupSize, isSigned, xZeroPoint,
                                     geometry, Int32(n0), Int32(n1), c, Int32(positions), scratch)
                        }
                    }
                }
            }
        }
    }
}

/// Integer convolution weights in CKernels's packed layout, one block per group: A_g[m][p] =
/// W[g·M/G + m][p] − w_zero[g·M/G + m] over the flattened (channel, kernel...) axis p.
///
/// Why packed: widening, subtracting zero points and interleaving k pairs is done once per model for
/// constant weights instead of once per run.
final class PackedIntegerWeights: @unchecked Sendable {
    let groups: Int
    /// Output channels per group (rows of A).
    let rows: Int
    /// Columns of A: input channels per group times the kernel size.
    let depth: Int
    private let groupStride: Int
    private let storage: UnsafeMutablePointer<Int16>

    /// `w`: (M, C/G, kernel...) of uint8 or int8, shape already checked; `zeroPoints`: one per output
    /// channel (or one for all).
    init(_ w: Tensor, zeroPoints: [Int32], groups: Int) {
        self.groups = groups
        rows = w.shape[0] / groups
        depth = w.shape.dropFirst().reduce(1, *)
        groupStride = qc_igemm_packed_a_size(Int32(rows), Int32(depth))
        storage = .allocate(capacity: max(1, groupStride * groups))
        let zeros = zeroPoints.count == 1 ? Array(repeating: zeroPoints[0], count: w.shape[0]) : zeroPoints
        let isSigned: Int32 = w.dataType == .int8 ? 1 : 0
        w.withElements(of: UInt8.self) { bytes in
            zeros.withUnsafeBufferPointer { zeros in
                for g in 0..<groups where rows * depth > 0 {
                    qc_igemm_pack_a(bytes.baseAddress! + g * rows * depth, isSigned, zeros.baseAddress! + g * rows, Int32(rows),
                                    Int32(depth), depth, 1, storage + g * groupStride)
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// The packed rows of group `g`.
    func group(_ g: Int) -> UnsafePointer<Int16> {
        UnsafePointer(storage + g * groupStride)
    }
}
