import CKernels

extension SpatialWindow {
    /// The window as CKernels describes it, for `channels` input channels (per group).
    func geometry(channels: Int) -> qc_conv_geometry {
        func c(_ value: Int) -> Int32 { Int32(value) }
        return qc_conv_geometry(
            channels: c(channels), in_d: c(input[0]), in_h: c(input[1]), in_w: c(input[2]),
            out_d: c(output[0]), out_h: c(output[1]), out_w: c(output[2]),
            kernel_d: c(kernel[0]), kernel_h: c(kernel[1]), kernel_w: c(kernel[2]),
            stride_d: c(strides[0]), stride_h: c(strides[1]), stride_w: c(strides[2]),
            dilation_d: c(dilations[0]), dilation_h: c(dilations[1]), dilation_w: c(dilations[2]),
            pad_d: c(padBegin[0]), pad_h: c(padBegin[1]), pad_w: c(padBegin[2]))
    }
}
