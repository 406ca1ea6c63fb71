import QConvertIR

extension Ops {
    /// QLinearConv: Conv on 8-bit tensors with int32 accumulation, then requantization:
    ///     acc[n, m, o] = B[m] + Σ_{c, k} (w[m, c, k] − w_zero[m]) · (x[n, g·C/G + c, o·s − pad + k·d] − x_zero)
    ///     y = saturate(round_half_to_even(float(acc) · M[m]) + y_zero),  M[m] = x_scale · w_scale[m] / y_scale
    /// (float32, formed left to right, as ONNX Runtime does), or the fixed-point form of `Requantizer`
    /// when the interpreter runs with `.fixedPoint`. x and y are uint8 or int8 (y takes y_zero_point's
    /// type), w uint8 or int8 per tensor or per output channel; x pads with x_zero (a real 0).
    enum QLinearConv: Requantizing {
        static let type = "QLinearConv"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let mode = context.requantization
            let packed = try constantWeights(node, context, groups: groups)
            return Kernel { inputs, context in
                let x = try inputs.required(0, "x")
                let xType = try QuantizedParameters.eightBitType(x, "x")
                let xq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: xType, name: "x_scale")
                let w = try inputs.required(3, "w")
                let wq = try weightParameters(w, inputs.optional(4), inputs.optional(5))
                let yZero = inputs.optional(7)
                let yType = try yZero.map { try QuantizedParameters.eightBitType($0, "y_zero_point") } ?? xType
                let yq = try QuantizedParameters(scale: inputs.optional(6), zeroPoint: yZero, of: yType, name: "y_scale")
                let bias = inputs.optional(8)
                if let bias, bias.dataType != .int32 { throw QConvertError("bias B must be int32, got \(bias.dataType)") }
                let window = try Conv.checkShapes(x: x, w: w, bias: bias, groups: groups, attributes)
                let weights = packed ?? PackedIntegerWeights(w, zeroPoints: wq.zeroPoints, groups: groups)
                let acc = IntegerConvolution(window: window, groups: groups, weights: weights)
                    .accumulate(x, xZeroPoint: xq.scalar.zeroPoint, threads: context.threads)
                let requantizer = Requantizer(mode: mode, inputScale: xq.scalar.scale, weightScales: wq.scales,
                                              outputScale: yq.scalar.scale, zeroPoint: yq.scalar.zeroPoint,
                                              range: QuantizedParameters.range(of: yType))
                return [requantizer.apply(acc, bias: bias?.scalars(of: Int32.self), inner: window.outputSize, to: yType,
                                          threads: context.threads)]
            }
        }

        /// w's scale and zero point: per tensor or one per output channel.
        static func weightParameters(_ w: Tensor, _ scale: Tensor?, _ zeroPoint: Tensor?) throws -> QuantizedParameters {
            let type = try QuantizedParameters.eightBitType(w, "w")
            guard w.rank >= 3 else { throw QConvertError("weights w must have rank 3 or more (M, C/group, kernel...), got shape \(w.shape)") }
            return try QuantizedParameters(scale: scale, zeroPoint: zeroPoint, of: type, name: "w_scale", channels: w.shape[0])
        }

        /// The weights packed once, when w and its zero point are constants.
        static func constantWeights(_ node: Node, _ context: CompileContext, groups: Int) throws -> PackedIntegerWeights? {
            guard let w = context.constant(node, input: 3), let scale = context.constant(node, input: 4) else { return nil }
            let hasZeroPoint = node.inputs.count > 5 && !node.inputs[5].isEmpty
            let zeroPoint = context.constant(node, input: 5)
            if hasZeroPoint && zeroPoint == nil { return nil }
            let parameters = try weightParameters(w, scale, zeroPoint)
            guard w.shape[0] % groups == 0 else { throw QConvertError("\(w.shape[0]) output channels do not split into \(groups) groups") }
            return PackedIntegerWeights(w, zeroPoints: parameters.zeroPoints, groups: groups)
        }
    }
}
