/// e^x for float32 in straight-line arithmetic (no libm call, no branches), so loops over it vectorise:
///     x = n ln2 + r, |r| <= ln2 / 2   (n = round(x / ln2); ln2 in two parts so r is exact)
///     e^r ≈ 1 + r + r²/2! + ... + r⁷/7!   (Taylor; relative error below 2e-7 on that interval)
///     e^x = 2^(n-1) · e^r · 2          (2^(n-1) built in the exponent bits; n-1 keeps it normal)
/// x is clamped to [-86.6, 88.73]: above, the result overflows to infinity as it should; below, it
/// stays at e^-86.6 ≈ 2e-38 instead of reaching 0, an absolute error far under float32 tolerances.
/// NaN gives NaN.
///
/// Why: libm's expf is a scalar call per element and dominated the kernels that use it (Sigmoid, Exp,
/// Softmax); ONNX Runtime likewise uses a vectorised polynomial exp.
enum FastExp {
    /// 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, which then sits in
    /// the low bits of the sum's bit pattern.
    private static let roundingShift: Float = 12_582_912

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let x = min(max(x, -86.6), 88.73)
        let shifted = x * 1.442_695_04 + roundingShift
        let n = shifted - roundingShift
        let r = (x - n * 0.693_145_751_953_125) - n * 1.428_606_765_330_187e-6
        var p: Float = 1.0 / 5040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let halfScale = Float(bitPattern: (shifted.bitPattern &- roundingShift.bitPattern &+ 126) << 23)
        return p * halfScale * 2
    }
}
