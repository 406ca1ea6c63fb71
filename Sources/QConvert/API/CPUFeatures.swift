import CKernels

/// What the machine qconvert runs on can do, where that changes the best quantization scheme.
public enum CPUFeatures {
    /// VNNI (AVX512_VNNI or AVX_VNNI): int8 dot products accumulate straight into int32.
    public static let hasVNNI = qc_cpu_has_vnni() != 0

    /// Weight bits that are exact in ONNX Runtime's fused kernels on this CPU: 8 with VNNI; 7 without,
    /// since its u8 x s8 kernels then add pairs of products in saturating 16-bit lanes
    /// (2 x 255 x 127 > 32767, while 2 x 255 x 63 fits).
    public static var safeWeightBits: Int { hasVNNI ? 8 : 7 }
}
