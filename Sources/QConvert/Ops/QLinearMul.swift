import QConvertIR

extension Ops {
    /// com.microsoft QLinearMul: C = A · B between 8-bit tensors of one type, with numpy broadcasting:
    ///     acc = (a − A_zero) · (b − B_zero)   (exact int32)
    ///     float mode (ONNX Runtime):  C = saturate(round_half_to_even(float(acc) · M + float(C_zero)))
    ///     fixed-point mode (TensorFlow Lite): C = saturate(Mq(M)(acc) + C_zero)
    /// with M = A_scale · B_scale / C_scale in float32 (`Requantizer` with the zero point added before
    /// rounding, as ONNX Runtime's elementwise kernels do).
    enum QLinearMul: Requantizing {
        static let type = "QLinearMul"
        static let domain = "com.microsoft"

        /// The formula above; `T` is UInt8 or Int8.
        struct Formula<T: FixedWidthInteger & TensorElement>: BinaryFunction {
            let zeroA: Int32, zeroB: Int32
            let requantizer: Requantizer

            func callAsFunction(_ a: T, _ b: T) -> T {
                T(requantizer((Int32(a) - zeroA) * (Int32(b) - zeroB), channel: 0))
            }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let mode = context.requantization
            return Kernel { inputs, context in
                let (a, b, type, aq, bq, cq) = try QLinearAdd.binaryInputs(inputs)
                let requantizer = Requantizer(mode: mode, multipliers: [aq.scale * bq.scale / cq.scale],
                                              exact: [Double(aq.scale) * Double(bq.scale) / Double(cq.scale)], zeroPoint: cq.zeroPoint,
                                              range: QuantizedParameters.range(of: type), zeroPointBeforeRounding: true)
                let plan = try Broadcast([a.shape, b.shape])
                if type == .int8 {
                    return [plan.map(a, b, to: type, threads: context.threads, Formula<Int8>(zeroA: aq.zeroPoint, zeroB: bq.zeroPoint, requantizer: requantizer))]
                }
                return [plan.map(a, b, to: type, threads: context.threads, Formula<UInt8>(zeroA: aq.zeroPoint, zeroB: bq.zeroPoint, requantizer: requantizer))]
            }
        }
    }
}
