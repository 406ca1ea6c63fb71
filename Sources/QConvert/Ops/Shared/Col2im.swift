/// The inverse layout of `Im2col`: sums column-matrix entries back into the image positions they
/// came from, which turns a transposed convolution into one GEMM plus this gather.
///
/// Why a gather per output row rather than a scatter per column: each output row is then written by
/// one thread only, in a fixed order of taps, so the sum is race-free and the same for any thread count.
enum Col2im {
    /// Writes output row (c, od, oh) of `y` (`window.output` spatial shape, the transposed conv's
    /// output; `window.input` is its input): y[c, od, oh, ow] = bias + Σ col[(c, kd, kh, kw), (id, ih, iw)]
    /// over taps with od = id·sd − pd + kd·dd, oh = ih·sh − ph + kh·dh, ow = iw·sw − pw + kw·dw.
    /// `col` has `window.inputSize` columns.
    static func gatherRow(
        _ col: UnsafePointer<Float>, channel: Int, od: Int, oh: Int, bias: Float, window: SpatialWindow,
        into y: UnsafeMutablePointer<Float>
    ) {
        let (inD, inH, inW) = (window.input[0], window.input[1], window.input[2])
        let outW = window.output[2]
        let (strideD, strideH, strideW) = (window.strides[0], window.strides[1], window.strides[2])
        let line = y + ((channel * window.output[0] + od) * window.output[1] + oh) * outW
        line.initialize(repeating: bias, count: outW)
        for kd in 0..<window.kernel[0] {
            let d = od + window.padBegin[0] - kd * window.dilations[0]
            guard d >= 0, d % strideD == 0, d / strideD < inD else { continue }
            for kh in 0..<window.kernel[1] {
                let h = oh + window.padBegin[1] - kh * window.dilations[1]
                guard h >= 0, h % strideH == 0, h / strideH < inH else { continue }
                for kw in 0..<window.kernel[2] {
                    let row = ((channel * window.kernel[0] + kd) * window.kernel[1] + kh) * window.kernel[2] + kw
                    let src = col + row * window.inputSize + ((d / strideD) * inH + h / strideH) * inW
                    let offset = kw * window.dilations[2] - window.padBegin[2]
                    let valid = SpatialWindow.validOutputs(offset: offset, stride: strideW, size: outW, within: 0..<inW)
                    if strideW == 1 {
                        let shifted = line + offset
                        for iw in valid { shifted[iw] += src[iw] }
                    } else {
                        for iw in valid { line[iw * strideW + offset] += src[iw] }
                    }
                }
            }
        }
    }
}
