import QConvertIR

extension Ops {
    /// com.microsoft QLinearAdd: C = A + B between 8-bit tensors of one type, with numpy broadcasting.
    ///
    /// Float mode, as ONNX Runtime's AVX2 kernel computes it (float32, fma = one rounding), with
    /// r_A = A_scale / C_scale, r_B = B_scale / C_scale and the zero points folded into one constant:
    ///     F = C_zero − fma(r_A, A_zero, r_B · B_zero)
    ///     C = saturate(round_half_to_even(fma(a, r_A, fma(b, r_B, F))))
    /// When A is the operand broadcast along a row, ONNX Runtime swaps the operands, so the roles of
    /// (a, r_A, A_zero) and (b, r_B, B_zero) swap in both lines.
    ///
    /// Fixed-point mode, as TensorFlow Lite adds int8 tensors: with s = 2 · max(A_scale, B_scale),
    ///     a' = Mq(A_scale / s)((a − A_zero) · 2^20), b' likewise,
    ///     C = saturate(Mq(s / (2^20 · C_scale))(a' + b') + C_zero)      (Mq: `FixedPointMultiplier`)
    enum QLinearAdd: Requantizing {
        static let type = "QLinearAdd"
        static let domain = "com.microsoft"

        /// The formula above for one set of parameters; `T` is UInt8 or Int8.
        struct Formula<T: FixedWidthInteger & TensorElement>: BinaryFunction {
            let mode: Requantization
            let ratioA: Float, ratioB: Float
            let zeroA: Int32, zeroB: Int32, zeroC: Int32
            let fixedA: FixedPointMultiplier, fixedB: FixedPointMultiplier, fixedOut: FixedPointMultiplier
            let range: ClosedRange<Int32>

            init(mode: Requantization, a: (scale: Float, zeroPoint: Int32), b: (scale: Float, zeroPoint: Int32),
                 c: (scale: Float, zeroPoint: Int32)) {
                self.mode = mode
                (ratioA, ratioB) = (a.scale / c.scale, b.scale / c.scale)
                (zeroA, zeroB, zeroC) = (a.zeroPoint, b.zeroPoint, c.zeroPoint)
                let twiceMax = 2 * Double(max(a.scale, b.scale))
                fixedA = FixedPointMultiplier(Double(a.scale) / twiceMax)
                fixedB = FixedPointMultiplier(Double(b.scale) / twiceMax)
                fixedOut = FixedPointMultiplier(twiceMax / (Double(1 << 20) * Double(c.scale)))
                range = QuantizedParameters.range(of: T.dataType)
            }

            func callAsFunction(_ a: T, _ b: T) -> T {
                mode == .float ? rounded(Float(a), ratioA, zeroA, Float(b), ratioB, zeroB) : fixedPoint(a, b)
            }

            func broadcastingFirst(_ a: T, _ b: T) -> T {
                mode == .float ? rounded(Float(b), ratioB, zeroB, Float(a), ratioA, zeroA) : fixedPoint(a, b)
            }

            /// ONNX Runtime's sum with x the operand read along the row, y the other.
            @inline(__always)
            func rounded(_ x: Float, _ rx: Float, _ zx: Int32, _ y: Float, _ ry: Float, _ zy: Int32) -> T {
                let fixed = Float(zeroC) - (ry * Float(zy)).addingProduct(rx, Float(zx))
                let sum = fixed.addingProduct(y, ry).addingProduct(x, rx)
                return T(Requantizer.roundedToEven(min(max(sum, Float(range.lowerBound)), Float(range.upperBound))))
            }

            @inline(__always)
            func fixedPoint(_ a: T, _ b: T) -> T {
                let scaledA = fixedA.apply((Int32(a) - zeroA) << 20), scaledB = fixedB.apply((Int32(b) - zeroB) << 20)
                let value = Int64(fixedOut.apply(scaledA &+ scaledB)) + Int64(zeroC)
                return T(min(max(value, Int64(range.lowerBound)), Int64(range.upperBound)))
            }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let mode = context.requantization
            return Kernel { inputs, context in
                let (a, b, type, aq, bq, cq) = try binaryInputs(inputs)
                let plan = try Broadcast([a.shape, b.shape])
                if type == .int8 { return [plan.map(a, b, to: type, threads: context.threads, Formula<Int8>(mode: mode, a: aq, b: bq, c: cq))] }
                return [plan.map(a, b, to: type, threads: context.threads, Formula<UInt8>(mode: mode, a: aq, b: bq, c: cq))]
            }
        }

        /// The inputs of QLinearAdd and QLinearMul: (A, A_scale, A_zero_point, B, B_scale, B_zero_point,
        /// C_scale, C_zero_point), zero points optional, A, B and C of one 8-bit type, scales per tensor.
        static func binaryInputs(_ inputs: [Tensor?]) throws -> (Tensor, Tensor, DataType, (scale: Float, zeroPoint: Int32),
                                                                  (scale: Float, zeroPoint: Int32), (scale: Float, zeroPoint: Int32)) {
            let a = try inputs.required(0, "A"), b = try inputs.required(3, "B")
            let type = try QuantizedParameters.eightBitType(a, "A")
            guard b.dataType == type else { throw QConvertError("A is \(type) but B is \(b.dataType)") }
            let aq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: type, name: "A_scale")
            let bq = try QuantizedParameters(scale: inputs.optional(4), zeroPoint: inputs.optional(5), of: type, name: "B_scale")
            let cq = try QuantizedParameters(scale: inputs.optional(6), zeroPoint: inputs.optional(7), of: type, name: "C_scale")
            return (a, b, type, aq.scalar, bq.scalar, cq.scalar)
        }
    }
}
