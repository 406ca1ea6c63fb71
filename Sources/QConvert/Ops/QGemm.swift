import QConvertIR

extension Ops {
    /// com.microsoft QGemm (ONNX Runtime's quantized Gemm, which its QOperator models use for Gemm and
    /// MatMul + Add), on 2-D 8-bit A and B:
    ///     acc[i, j] = C[i, j] + Σ_k (A'[i, k] − a_zero) · (B'[k, j] − b_zero[j])
    /// in int32, with A' = A or Aᵀ (transA), B' = B or Bᵀ (transB), C an optional int32 bias broadcast to
    /// (M, N); then, with S[j] = alpha · a_scale · b_scale[j] in float32 as ONNX Runtime forms it,
    ///     with y_zero_point:    y = saturate(round_half_to_even(float(acc) · S[j] / y_scale) + y_zero)
    ///                           (`Requantizer`; fixed point in `.fixedPoint` mode)
    ///     without (float32 Y):  y = float(acc) · S[j]   (divided by y_scale when one is given)
    enum QGemm: Requantizing {
        static let type = "QGemm"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let alpha = try node.float("alpha", default: 1)
            let (transA, transB) = (try node.int("transA", default: 0) != 0, try node.int("transB", default: 0) != 0)
            let mode = context.requantization
            let constantB = try constantB(node, context, transposed: transB)
            return Kernel { inputs, context in
                let a = try inputs.required(0, "A"), b = try inputs.required(3, "B")
                guard a.rank == 2, b.rank == 2 else { throw QConvertError("A \(a.shape) and B \(b.shape) must be 2-D") }
                let aq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2),
                                                 of: QuantizedParameters.eightBitType(a, "A"), name: "a_scale").scalar
                let bq = try QuantizedParameters(scale: inputs.optional(4), zeroPoint: inputs.optional(5), of: QuantizedParameters.eightBitType(b, "B"),
                                                 name: "b_scale", channels: b.shape[transB ? 0 : 1])
                let packed = try constantB ?? IntegerMatMul.PackedB(b, zeroPoints: bq.zeroPoints, transposed: transB)
                let aMatrix = transA ? a.transposedMatrix() : a
                guard aMatrix.shape[1] == packed.k else { throw QConvertError("A \(a.shape) and B \(b.shape) do not multiply (transA \(transA), transB \(transB))") }
                var acc = try IntegerMatMul.accumulate(aMatrix, aZeroPoint: aq.zeroPoint, packed, threads: context.threads)
                if let c = inputs.optional(6) {
                    guard c.dataType == .int32, try Broadcast.shape([acc.shape, c.shape]) == acc.shape else {
                        throw QConvertError("C must be int32 and broadcast to \(acc.shape), got \(c.dataType) \(c.shape)")
                    }
                    acc = try Broadcast.arithmetic(Add.self, acc, c, threads: context.threads)
                }
                let scales = bq.scales.map { alpha * aq.scale * $0 }
                let yScale = try inputs.optional(7).map { try QuantizedParameters(scale: $0, zeroPoint: nil, of: .uint8, name: "y_scale").scalar.scale }
                guard let yZero = inputs.optional(8) else {
                    return [scaled(acc, by: yScale.map { y in scales.map { $0 / y } } ?? scales)]
                }
                let type = try QuantizedParameters.eightBitType(yZero, "y_zero_point")
                let yq = try QuantizedParameters(scale: inputs.optional(7), zeroPoint: yZero, of: type, name: "y_scale").scalar
                let requantizer = Requantizer(mode: mode, multipliers: scales.map { $0 / yq.scale },
                                              exact: bq.scales.map { Double(alpha) * Double(aq.scale) * Double($0) / Double(yq.scale) },
                                              zeroPoint: yq.zeroPoint, range: QuantizedParameters.range(of: type))
                return [requantizer.apply(acc, bias: nil, inner: 1, to: type, threads: context.threads)]
            }
        }

        /// B packed once, when it and its zero point are constants.
        static func constantB(_ node: Node, _ context: CompileContext, transposed: Bool) throws -> IntegerMatMul.PackedB? {
            guard let b = context.constant(node, input: 3), b.rank == 2, let scale = context.constant(node, input: 4),
                  let zeroPoint = context.constant(node, input: 5) else { return nil }
            let zeroPoints = try QuantizedParameters(scale: scale, zeroPoint: zeroPoint,
                                                     of: QuantizedParameters.eightBitType(b, "B"), name: "b_scale",
                                                     channels: b.shape[transposed ? 0 : 1]).zeroPoints
            return try IntegerMatMul.PackedB(b, zeroPoints: zeroPoints, transposed: transposed)
        }

        /// y[i, j] = float(acc[i, j]) · scales[j] (one scale for all, or one per column).
        static func scaled(_ acc: Tensor, by scales: [Float]) -> Tensor {
            let columns = acc.shape[1]
            return acc.withElements(of: Int32.self) { values in
                Tensor(shape: acc.shape, of: Float.self) { out in
                    for i in 0..<values.count { out[i] = Float(values[i]) * scales[scales.count == 1 ? 0 : i % columns] }
                }
            }
        }
    }
}
