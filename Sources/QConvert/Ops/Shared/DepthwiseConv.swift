/// Direct convolution of one input plane into one output plane, for depthwise convolutions (one
/// input channel per group), where im2col + GEMM would be a tall thin product with no reuse.
///
/// Computes y[o] = b + Σ_k w[k] · x[o·s − p + k·d] over the taps k that land inside the input,
/// accumulating tap by tap over whole output rows so the inner loop is contiguous (stride 1) and
/// vectorises.
enum DepthwiseConv {
    /// `x`: one plane of `window.inputSize`; `w`: `window.kernelSize` taps; `y`: one plane of
    /// `window.outputSize`, overwritten.
    static func plane(
        _ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: Float, window: SpatialWindow,
        into y: UnsafeMutablePointer<Float>
    ) {
        let (inD, inH, inW) = (window.input[0], window.input[1], window.input[2])
        let (outD, outH, outW) = (window.output[0], window.output[1], window.output[2])
        let (kernelD, kernelH, kernelW) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let strideW = window.strides[2]
        for od in 0..<outD {
            for oh in 0..<outH {
                let line = y + (od * outH + oh) * outW
                line.initialize(repeating: bias, count: outW)
                for kd in 0..<kernelD {
                    let id = od * window.strides[0] - window.padBegin[0] + kd * window.dilations[0]
                    guard id >= 0 && id < inD else { continue }
                    for kh in 0..<kernelH {
                        let ih = oh * window.strides[1] - window.padBegin[1] + kh * window.dilations[1]
                        guard ih >= 0 && ih < inH else { continue }
                        let src = x + (id * inH + ih) * inW
                        let taps = w + (kd * kernelH + kh) * kernelW
                        for kw in 0..<kernelW {
                            let offset = kw * window.dilations[2] - window.padBegin[2]
                            let valid = SpatialWindow.validOutputs(offset: offset, stride: strideW, size: inW, within: 0..<outW)
                            let tap = taps[kw]
                            if strideW == 1 {
                                let shifted = src + offset
                                for o in valid { line[o] += tap * shifted[o] }
                            } else {
                                for o in valid { line[o] += tap * src[o * strideW + offset] }
                            }
                        }
                    }
                }
            }
        }
    }
}
