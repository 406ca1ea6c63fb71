/// A real multiplier M > 0 as integer-only inference stores it (gemmlowp, TensorFlow Lite's
/// QuantizeMultiplier): M ≈ q · 2^(shift - 31) with q an int32 in [2^30, 2^31), q = round(frac · 2^31)
/// where M = frac · 2^shift, frac ∈ [0.5, 1).
///
/// `apply` is TensorFlow Lite's MultiplyByQuantizedMultiplier:
///     x · 2^max(shift, 0)  ->  SaturatingRoundingDoublingHighMul(·, q) = round(· · q / 2^31)
///                          ->  RoundingDivideByPOT(·, max(-shift, 0))
/// The first rounding sends halves up (toward +∞), the second away from zero, where float
/// requantization rounds them to even; with the multiplier itself rounded to 31 bits, these are the
/// differences from the float form.
struct FixedPointMultiplier {
    let multiplier: Int32
    let shift: Int

    init(_ real: Double) {
        guard real > 0, real.isFinite else {
            (multiplier, shift) = (0, 0)
            return
        }
        let exponent = real.exponent + 1
        let fraction = real / Double(sign: .plus, exponent: exponent, significand: 1)
        var q = Int64((fraction * Double(1 << 31)).rounded(.toNearestOrAwayFromZero))
        var shift = exponent
        if q == 1 << 31 {
            q /= 2
            shift += 1
        }
        // Below 2^-31 every int32 accumulator maps to 0 or ±1; TensorFlow Lite flushes such multipliers.
        if shift < -31 {
            (q, shift) = (0, 0)
        }
        multiplier = Int32(q)
        self.shift = shift
    }

    /// round(x · M) as integer-only inference computes it (see the type's comment); the left shift
    /// saturates instead of overflowing.
    @inline(__always)
    func apply(_ x: Int32) -> Int32 {
        let left = max(shift, 0), right = max(-shift, 0)
        let shifted = Int32(clamping: Int64(x) << left)
        return Self.roundingDivideByPowerOfTwo(Self.saturatingRoundingDoublingHighMul(shifted, multiplier), right)
    }

    /// round(a · b / 2^31), halves up (gemmlowp's nudge, then C's truncating division); the one
    /// overflowing case (both Int32.min) saturates.
    @inline(__always)
    static func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
        if a == .min && b == .min { return .max }
        let product = Int64(a) * Int64(b)
        let nudge: Int64 = product >= 0 ? 1 << 30 : 1 - (1 << 30)
        return Int32((product + nudge) / (1 << 31))
    }

    /// round(x / 2^exponent), halves away from zero.
    @inline(__always)
    static func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int) -> Int32 {
        guard exponent > 0 else { return x }
        if exponent >= 32 { return 0 }
        let mask = Int32(truncatingIfNeeded: (Int64(1) << exponent) - 1)
        let remainder = x & mask
        let threshold = (mask >> 1) + (x < 0 ? 1 : 0)
        return (x >> Int32(exponent)) + (remainder > threshold ? 1 : 0)
    }
}
