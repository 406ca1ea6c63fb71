/// Lays convolution input patches out as matrix columns, so a convolution becomes one GEMM:
/// `Y[m, p] = Σ_r W[m, r] · col[r, p]`.
///
/// Why a range of output positions: Conv fills the columns of one chunk of output positions at a time,
/// so the matrix stays cache-sized and each thread fills and multiplies its own chunk.
enum Im2col {
    /// Writes `col[r, p − positions.lowerBound]` for rows r = (c, kd, kh, kw) and output positions p
    /// (flattened od, oh, ow) in `positions`:
    /// col = x[c, od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw], 0 outside the input.
    /// `x` points at `channels` planes of `window.inputSize` elements; rows are `positions.count` long.
    static func fill(
        _ x: UnsafePointer<Float>, channels: Int, window: SpatialWindow, positions: Range<Int>,
        into col: UnsafeMutablePointer<Float>
    ) {
        let (inD, inH, inW) = (window.input[0], window.input[1], window.input[2])
        let (outH, outW) = (window.output[1], window.output[2])
        let width = positions.count
        var row = 0
        for c in 0..<channels {
            let plane = x + c * window.inputSize
            for kd in 0..<window.kernel[0] {
                for kh in 0..<window.kernel[1] {
                    for kw in 0..<window.kernel[2] {
                        let dst = col + row * width - positions.lowerBound
                        let offsetW = kw * window.dilations[2] - window.padBegin[2]
                        var p = positions.lowerBound
                        while p < positions.upperBound {
                            let ow = p % outW, oh = (p / outW) % outH, od = p / (outW * outH)
                            let rowEnd = p - ow + min(outW, ow + positions.upperBound - p)
                            let id = od * window.strides[0] - window.padBegin[0] + kd * window.dilations[0]
                            let ih = oh * window.strides[1] - window.padBegin[1] + kh * window.dilations[1]
                            let line = dst + (p - ow)
                            if id < 0 || id >= inD || ih < 0 || ih >= inH {
                                (line + ow).initialize(repeating: 0, count: rowEnd - p)
                            } else {
                                let src = plane + (id * inH + ih) * inW
                                copyRow(src, offset: offsetW, stride: window.strides[2], size: inW,
                                        into: line, outputs: ow..<(rowEnd - p + ow))
                            }
                            p = rowEnd
                        }
                        row += 1
                    }
                }
            }
        }
    }

    /// `line[o] = src[o·stride + offset]` for o in `outputs`, 0 where that index is outside `0..<size`.
    @inline(__always)
    static func copyRow(
        _ src: UnsafePointer<Float>, offset: Int, stride: Int, size: Int,
        into line: UnsafeMutablePointer<Float>, outputs: Range<Int>
    ) {
        let valid = SpatialWindow.validOutputs(offset: offset, stride: stride, size: size, within: outputs)
        (line + outputs.lowerBound).initialize(repeating: 0, count: valid.lowerBound - outputs.lowerBound)
        if stride == 1 {
            (line + valid.lowerBound).update(from: src + valid.lowerBound + offset, count: valid.count)
        } else {
            for o in valid { line[o] = src[o * stride + offset] }
        }
        (line + valid.upperBound).initialize(repeating: 0, count: outputs.upperBound - valid.upperBound)
    }
}
