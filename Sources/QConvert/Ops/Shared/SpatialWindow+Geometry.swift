import CKernels
import QConvertIR

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

    /// Per-channel working memory (elements) always allowed: 256 MiB of floats. Beyond it a window
    /// may use 16 times its input plane (a stride-2 band holds 4 planes), so large real inputs (an
    /// 8192 x 8192 image, a 256 x 512 x 512 volume) pass and a tiny input padded to 65536 does not.
    static let workingMemoryLimit = 1 << 26

    /// Checks the working memory every kernel over this window would ask for, per channel: it grows
    /// with stride x stride x plane and with the padded extent, so a stride or pad far beyond the
    /// input (a hostile file: stride 65536 and pads 65536 on a 1 x 1 image) made a kernel allocate
    /// about 137 GB and abort instead of failing with a message.
    func checkWorkingMemory() throws {
        var g = geometry(channels: 1)
        let largest = [qc_band_size(&g, g.out_h), qc_conv_scratch_size(&g), qc_depthwise_scratch_size(&g),
                       qc_pool_scratch_size(&g), qc_iconv_scratch_size(&g)].max() ?? 0
        let limit = max(Self.workingMemoryLimit, 16 * input.reduce(1, *))
        guard largest <= limit else {
            throw QConvertError("strides \(strides), pads \(padBegin) + \(padEnd) on input \(input) need \(largest) elements of working memory per channel (at most \(limit))")
        }
    }
}
