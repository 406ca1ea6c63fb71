import QConvertIR

/// How the integer kernels bring an int32 accumulator back to 8 bits, for a whole interpreter run.
///
/// `float` is what ONNX Runtime's CPU kernels compute (the default, so the interpreter matches what users
/// deploy); `fixedPoint` is integer-only inference as in gemmlowp and TensorFlow Lite, where the real
/// multiplier becomes an int32 and a right shift, so reports can show what that costs.
public enum Requantization: String, Codable, Sendable, CaseIterable {
    case float
    case fixedPoint = "fixed-point"

    /// Whether `graph` (or a subgraph of it) has an op whose results depend on the mode. A QDQ model has
    /// none: its QuantizeLinear/DequantizeLinear pairs run as written, so `qconvert run` says the
    /// fixed-point mode a user asked for changes nothing instead of letting them believe it did.
    public static func matters(in graph: Graph) -> Bool {
        graph.nodes.contains { node in
            OpRegistry.lookup(type: node.opType, domain: node.domain) is any Requantizing.Type
                || node.subgraphs.contains(where: matters(in:))
        }
    }
}

/// An integer operator that brings an accumulator or a rescaled value back to 8 bits through
/// `Requantizer`-style multipliers, so its results depend on `CompileContext.requantization`.
protocol Requantizing: Operator {}

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
         range: ClosedRange<Int32>) {
        self.init(mode: mode, multipliers: weightScales.map { inputScale * $0 / outputScale },
                  exact: weightScales.map { Double(inputScale) * Double($0) / Double(outputScale) },
                  zeroPoint: zeroPoint, range: range)
    }

    /// The output for accumulator `acc` of channel `channel` (0 when per-tensor).
    @inline(__always)
    func callAsFunction(_ acc: Int32, channel: Int) -> Int32 {
        let c = multipliers.count == 1 ? 0 : channel
        switch mode {
        case .float:
            if zeroPointBeforeRounding {
                let value = Float(acc) * multipliers[c] + Float(zeroPoint)
                return Int32(Self.roundedToEven(min(max(value, Float(range.lowerBound)), Float(range.upperBound))))
            }
            return Self.floatForm(acc, multipliers[c], zeroPoint, Float(range.lowerBound - zeroPoint), Float(range.upperBound - zeroPoint))
        case .fixedPoint:
            let value = Int64(fixedPoint[c].apply(acc)) + Int64(zeroPoint)
            return Int32(min(max(value, Int64(range.lowerBound)), Int64(range.upperBound)))
        }
    }

    /// round_half_to_even(clamp(float(acc) · m, low, high)) + zeroPoint (low, high: the range minus the
    /// zero point, so the clamp before rounding equals saturation after it).
    @inline(__always)
    static func floatForm(_ acc: Int32, _ m: Float, _ zeroPoint: Int32, _ low: Float, _ high: Float) -> Int32 {
        let scaled = Float(acc) * m
        let clamped = scaled < low ? low : (scaled > high ? high : scaled)
        return Int32(bitPattern: (clamped + roundingBias).bitPattern) &- roundingBiasBits &+ zeroPoint
    }

    /// 1.5 · 2^23: for |v| ≤ 2^22, v + 1.5 · 2^23 has no bits below the units, so the addition rounds v
    /// to the nearest integer, ties to even, and the sum's bit pattern is that integer plus
    /// `roundingBiasBits` (MLAS's rounding bias). Requantized values are clamped to an 8-bit range first.
    /// Unlike `rounded(.toNearestOrEven)` and `Int32(_: Float)`, this is no libm call and no range trap on
    /// baseline x86-64, so the loops vectorize.
    static let roundingBias: Float = 12_582_912
    static let roundingBiasBits = Int32(bitPattern: roundingBias.bitPattern)

    /// v rounded to the nearest integer, ties to even, for |v| ≤ 2^22 (see `roundingBias`).
    @inline(__always)
    static func roundedToEven(_ v: Float) -> Float {
        (v + roundingBias) - roundingBias
    }

    /// y[i] = self(acc[i] + bias[c], channel: c) over an int32 tensor, with element i in channel
    /// c = (i / inner) % channels (channels: the bias count, else the multiplier count): per output plane
    /// for convolutions (inner = plane size), per column for matrix products (inner = 1). The bias adds
    /// with int32 wrap-around, as the accumulation does. The result is an 8-bit tensor of ONNX type `type`.
    func apply(_ acc: Tensor, bias: [Int32]?, inner: Int, to type: DataType, threads: Int) -> Tensor {
        let channels = bias?.count ?? multipliers.count
        let bias = bias ?? [0]
        let (low, high) = (Float(range.lowerBound - zeroPoint), Float(range.upperBound - zeroPoint))
        let plainFloat = mode == .float && !zeroPointBeforeRounding
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
                            if plainFloat {  // the common case, as one loop the compiler vectorizes
                                let m = multipliers[multipliers.count == 1 ? 0 : c], zero = zeroPoint
                                for i in start..<start + rowLength {
                                    output[i] = UInt8(truncatingIfNeeded: Self.floatForm(input[i] &+ b, m, zero, low, high))
                                }
                                continue
                            }
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
