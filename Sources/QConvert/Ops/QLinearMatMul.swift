import QConvertIR

extension Ops {
    /// QLinearMatMul: MatMul on 8-bit tensors with int32 accumulation, then requantization per column j:
    ///     acc[..., i, j] = Σ_k (a[..., i, k] − a_zero) · (b[..., k, j] − b_zero[j])
    ///     y = saturate(round_half_to_even(float(acc) · M[j]) + y_zero),  M[j] = a_scale · b_scale[j] / y_scale
    /// (float32, formed left to right, as ONNX Runtime does), or the fixed-point form of `Requantizer`
    /// when the interpreter runs with `.fixedPoint`. a is per tensor (as in ONNX Runtime; the per-row
    /// a_scale ONNX also allows is refused), b per tensor or per column; y takes y_zero_point's type.
    enum QLinearMatMul: Requantizing {
        static let type = "QLinearMatMul"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let mode = context.requantization
            let packed = try constantB(node, context)
            return Kernel { inputs, context in
                let a = try inputs.required(0, "a")
                let aType = try QuantizedParameters.eightBitType(a, "a")
                let aq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: aType, name: "a_scale")
                let b = try inputs.required(3, "b")
                let bq = try bParameters(b, inputs.optional(4), inputs.optional(5))
                let yZero = inputs.optional(7)
                let yType = try yZero.map { try QuantizedParameters.eightBitType($0, "y_zero_point") } ?? aType
                let yq = try QuantizedParameters(scale: inputs.optional(6), zeroPoint: yZero, of: yType, name: "y_scale")
                let acc = try IntegerMatMul.accumulate(a, aZeroPoint: aq.scalar.zeroPoint,
                                                       packed ?? IntegerMatMul.PackedB(b, zeroPoints: bq.zeroPoints),
                                                       threads: context.threads)
                let requantizer = Requantizer(mode: mode, inputScale: aq.scalar.scale, weightScales: bq.scales,
                                              outputScale: yq.scalar.scale, zeroPoint: yq.scalar.zeroPoint,
                                              range: QuantizedParameters.range(of: yType))
                return [requantizer.apply(acc, bias: nil, inner: 1, to: yType, threads: context.threads)]
            }
        }

        /// b's scale and zero point: per tensor or one per column.
        static func bParameters(_ b: Tensor, _ scale: Tensor?, _ zeroPoint: Tensor?) throws -> QuantizedParameters {
            let type = try QuantizedParameters.eightBitType(b, "b")
            let columns = b.rank >= 2 ? b.shape[b.rank - 1] : 1
            return try QuantizedParameters(scale: scale, zeroPoint: zeroPoint, of: type, name: "b_scale", channels: columns)
        }

        /// b packed once, when it and its zero point are constants.
        static func constantB(_ node: Node, _ context: CompileContext) throws -> IntegerMatMul.PackedB? {
            guard let b = context.constant(node, input: 3), let scale = context.constant(node, input: 4),
                  let zeroPoint = context.constant(node, input: 5) else { return nil }
            return try IntegerMatMul.PackedB(b, zeroPoints: bParameters(b, scale, zeroPoint).zeroPoints)
        }
    }
}
