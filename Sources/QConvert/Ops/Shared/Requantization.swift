import QConvertIR

/// How the integer kernels bring an int32 accumulator back to 8 bits, for a whole interpreter run.
///
/// `float` is what ONNX Runtime's CPU kernels compute (the default, so the interpreter matches what users
/// deploy); `fixedPoint` is integer-only inference as in gemmlowp and TensorFlow Lite, where the real
/// multiplier becomes an int32 and a right shift, so reports can show what that costs.
public enum Requantization: String, Codable, Sendable, CaseIterable {
    case float
    case fixedPoint = "fixed-point"
}

/// Requantizes int32 accumulators (Σ (x - x_zero)(w - w_zero) + bias, per output channel) to an 8-bit
/// output with real multipliers M[c] = s_x · s_w[c] / s_y:
///     float:       y = saturate(round_half_to_even(float(acc) · M[c]) + y_zero)   (M[c] a float32 product
///                  then quotient, as ONNX Runtime forms it; float(acc) rounds to nearest even past 2^24)
///     fixed point: y = saturate(FixedPointMultiplier(M[c]) applied to acc + y_zero)
/// With `zeroPointBeforeRounding` the float form is ONNX Runtime's elementwise one (QLinearMul):
///     y = saturate(round_half_to_even(float(acc) · M[c] + float(y_zero)))
/// which differs from the first at ties when y_zero is odd.
struct Requantizer {
    let mode: Requantization
    let multipliers: [Float]
    let fixedPoint: [FixedPointMultiplier]
    let zeroPoint: Int32
    let range: ClosedRange<Int32>
    let zeroPointBeforeRounding: Bool

    /// `multipliers`: one per output channel (or one for all), as float32 values; `exact`: the same
    /// multipliers computed in double from the scales, which the fixed-point form quantizes.
    init(mode: Requantization, multipliers: [Float], exact: [Double], zeroPoint: Int32, range: ClosedRange<Int32>,
         zeroPointBeforeRounding: Bool = false) {
        self.mode = mode
        self.multipliers = multipliers
        fixedPoint = mode == .fixedPoint ? exact.map(FixedPointMultiplier.init) : []
        self.zeroPoint = zeroPoint
        self.range = range
        self.zeroPointBeforeRounding = zeroPointBeforeRounding
    }

    /// M = s_x · s_w[c] / s_y for each weight scale, in float32 (left to right) and in double.
    init(mode: Requantization, inputScale: Float, weightScales: [Float], outputScale: Float, zeroPoint: Int32,
         range: ClosedRange<Int32>, zeroPointBeforeRounding: Bool = false) {
        self.init(mode: mode, multipliers: weightScales.map { inputScale * $0 / outputScale },
                  exact: weightScales.map { Double(inputScale) * Double($0) / Double(outputScale) },
                  zeroPoint: zeroPoint, range: range, zeroPointBeforeRounding: zeroPointBeforeRounding)
    }

    /// The output for accumulator `acc` of channel `channel` (0 when per-tensor).
    @inline(__always)
    func callAsFunction(_ acc: Int32, channel: Int) -> Int32 {
        let c = multipliers.count == 1 ? 0 : channel
        switch mode {
        case .float:
            let scaled = Float(acc) * multipliers[c]
            if zeroPointBeforeRounding {
                let value = scaled + Float(zeroPoint)
                return Int32(min(max(value, Float(range.lowerBound)), Float(range.upperBound)).rounded(.toNearestOrEven))
            }
            let low = Float(range.lowerBound - zeroPoint), high = Float(range.upperBound - zeroPoint)
            return Int32(min(max(scaled, low), high).rounded(.toNearestOrEven)) + zeroPoint
        case .fixedPoint:
            let value = Int64(fixedPoint[c].apply(acc)) + Int64(zeroPoint)
            return Int32(min(max(value, Int64(range.lowerBound)), Int64(range.upperBound)))
        }
    }

    /// y[i] = self(acc[i] + bias[c], channel: c) over an int32 tensor, with element i in channel
    /// c = (i / inner) % channels (channels: the bias count, else the multiplier count): per output plane
    /// for convolutions (inner = plane size), per column for matrix products (inner = 1). The bias adds
    /// with int32 wrap-around, as the accumulation does. The result is an 8-bit tensor of ONNX type `type`.
    func apply(_ acc: Tensor, bias: [Int32]?, inner: Int, to type: DataType, threads: Int) -> Tensor {
        let channels = bias?.count ?? multipliers.count
        let bias = bias ?? [0]
        return acc.withElements(of: Int32.self) { values in
            Tensor(shape: acc.shape, dataType: type, of: UInt8.self) { out in
                guard let input = values.baseAddress, let output = out.baseAddress else { return }
                let rowLength = inner > 1 ? inner : channels
                let rows = values.count / max(1, rowLength)
                Parallel.forEach(count: rows, grain: max(1, (1 << 16) / max(1, rowLength)), threads: threads) { range in
                    for row in range {
                        let start = row * rowLength
                        if inner > 1 {
                            let c = channels == 1 ? 0 : row % channels
                            let b = bias.count == 1 ? bias[0] : bias[c]
                            for i in start..<start + rowLength {
                                output[i] = UInt8(truncatingIfNeeded: self(input[i] &+ b, channel: c))
                            }
                        } else {
                            for c in 0..<rowLength {
                                let b = bias.count == 1 ? bias[0] : bias[c]
                                output[start + c] = UInt8(truncatingIfNeeded: self(input[start + c] &+ b, channel: c))
                            }
                        }
                    }
                }
            }
        }
    }
}
