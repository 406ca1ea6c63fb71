import CKernels
import QConvertIR

/// The int32 accumulators of an integer convolution (QLinearConv before requantization, ConvInteger):
///     acc[n, m, o] = Σ_{c < C/G, k} (w[m, c, k] − w_zero[m]) · (x[n, g·C/G + c, o·s − pad + k·d] − x_zero)
/// where g is output channel m's group and x reads as x_zero (a real 0) outside the input.
///
/// On CKernels: every input plane is first copied once as int16 x − x_zero inside a zero border
/// (`qc_iconv_pad`), so no tap needs a bounds check. Depthwise convolutions (one input channel per group)
/// then sum their taps directly per output plane (`qc_idepthwise`); the others multiply A_g = W_g − w_zero
/// (packed once when W is a constant) by im2col panels gathered from the planes (`qc_iconv`), over work
/// items of output positions. Sums are exact, so any split gives the same result.
struct IntegerConvolution {
    let window: SpatialWindow
    let groups: Int
    let weights: PackedIntegerWeights

    /// acc for x (N, C, spatial...) of 8-bit type with zero point `xZeroPoint`, as an int32 tensor
    /// (N, M, output spatial...).
    func accumulate(_ x: Tensor, xZeroPoint: Int32, threads: Int) -> Tensor {
        let (batch, channels, outPerGroup) = (x.shape[0], x.shape[1], weights.rows)
        let (inPerGroup, outChannels, positions) = (channels / groups, outPerGroup * groups, window.outputSize)
        let geometry = window.geometry(channels: inPerGroup)
        let planeSize = withUnsafePointer(to: geometry) { qc_iconv_plane_size($0) }
        let padded = UnsafeMutablePointer<Int16>.allocate(capacity: max(1, batch * channels * planeSize))
        defer { padded.deallocate() }
        let isSigned: Int32 = x.dataType == .int8 ? 1 : 0
        x.withElements(of: UInt8.self) { bytes in
            guard let image = bytes.baseAddress else { return }
            Parallel.forEach(count: batch * channels, grain: max(1, (1 << 16) / max(1, planeSize)), threads: threads) { planes in
                withUnsafePointer(to: geometry) { g in
                    qc_iconv_pad(image + planes.lowerBound * window.inputSize, isSigned, xZeroPoint, g, Int32(planes.count),
                                 padded + planes.lowerBound * planeSize)
                }
            }
        }
        return Tensor(shape: [batch, outChannels] + window.outputShape, of: Int32.self) { acc in
            guard let out = acc.baseAddress, acc.count > 0 else { return }
            if inPerGroup == 1 {
                let grain = max(1, (1 << 16) / max(1, positions * window.kernelSize))
                Parallel.forEach(count: batch * outChannels, grain: grain, threads: threads) { planes in
                    withUnsafePointer(to: geometry) { g in
                        for plane in planes {
                            let (image, m) = plane.quotientAndRemainder(dividingBy: outChannels)
                            qc_idepthwise(padded + (image * channels + m / outPerGroup) * planeSize, weights.taps(m), g, out + plane * positions)
                        }
                    }
                }
                return
            }
            let tile = Int(qc_igemm_tile_columns())
            let grain = max(1, ((1 << 20) / max(1, outPerGroup * weights.depth) + tile - 1) / tile) * tile
            let items = (positions + grain - 1) / grain
            let scratchSize = withUnsafePointer(to: geometry) { qc_iconv_scratch_size($0) }
            Parallel.forEach(count: batch * groups * items, grain: 1, threads: threads) { chunk in
                let scratch = UnsafeMutablePointer<Int16>.allocate(capacity: scratchSize)
                defer { scratch.deallocate() }
                withUnsafePointer(to: geometry) { g in
                    for item in chunk {
                        let (imageGroup, positionItem) = item.quotientAndRemainder(dividingBy: items)
                        let n0 = positionItem * grain, n1 = min(positions, n0 + grain)
                        qc_iconv(weights.group(imageGroup % groups), Int32(outPerGroup), padded + imageGroup * inPerGroup * planeSize, g,
                                 Int32(n0), Int32(n1), out + imageGroup * outPerGroup * positions + n0, Int32(positions), scratch)
                    }
                }
            }
        }
    }
}

/// Integer convolution weights minus their per-output-channel zero points, as int16, laid out for
/// CKernels: for depthwise weights (one input channel per group) the taps of each output channel in
/// order; for the others, one block per group in the integer GEMM's packed layout,
/// A_g[m][p] = W[g·M/G + m][p] − w_zero[g·M/G + m] over the flattened (channel, kernel...) axis p.
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
        let depthwise = w.shape[1] == 1
        groupStride = depthwise ? rows * depth : qc_igemm_packed_a_size(Int32(rows), Int32(depth))
        storage = .allocate(capacity: max(1, groupStride * groups))
        let zeros = zeroPoints.count == 1 ? Array(repeating: zeroPoints[0], count: w.shape[0]) : zeroPoints
        let isSigned: Int32 = w.dataType == .int8 ? 1 : 0
        w.withElements(of: UInt8.self) { bytes in
            if depthwise {
                for index in 0..<w.count {
                    let value = isSigned == 1 ? Int32(Int8(bitPattern: bytes[index])) : Int32(bytes[index])
                    storage[index] = Int16(value - zeros[index / depth])
                }
                return
            }
            zeros.withUnsafeBufferPointer { zeros in
                for g in 0..<groups where rows * depth > 0 {
                    qc_igemm_pack_a(bytes.baseAddress! + g * rows * depth, isSigned, zeros.baseAddress! + g * rows, Int32(rows),
                                    Int32(depth), depth, 1, storage + g * groupStride)
                }
            }
        }
    }

    deinit { storage.deallocate() }

    /// The packed rows of group `g` (weights with more than one input channel per group).
    func group(_ g: Int) -> UnsafePointer<Int16> {
        UnsafePointer(storage + g * groupStride)
    }

    /// The taps of output channel `m` (depthwise weights).
    func taps(_ m: Int) -> UnsafePointer<Int16> {
        UnsafePointer(storage + m * depth)
    }
}
