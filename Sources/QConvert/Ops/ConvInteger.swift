import QConvertIR

extension Ops {
    /// ConvInteger: y[n, m, o] = Σ_{c, k} (w[m, c, k] − w_zero_point[m]) · (x[n, g·C/G + c, o·s − pad + k·d] − x_zero_point)
    /// in int32, with Conv's attributes, for uint8 or int8 x and w (zero points default to 0; w's per
    /// tensor or per output channel, which ONNX allows and ONNX Runtime does not); x pads with its zero
    /// point (a real 0).
    enum ConvInteger: Operator {
        static let type = "ConvInteger"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let packed = try constantWeights(node, context, groups: groups)
            return Kernel { inputs, context in
                let x = try inputs.required(0, "x")
                let xZero = try MatMulInteger.zeroPoint(inputs.optional(2), of: QuantizedParameters.eightBitType(x, "x"),
                                                        name: "x_zero_point", count: 1)
                let w = try inputs.required(1, "w")
                let window = try Conv.checkShapes(x: x, w: w, bias: nil, groups: groups, attributes)
                let weights = try packed ?? PackedIntegerWeights(w, zeroPoints: wZeroPoints(w, inputs.optional(3)), groups: groups)
                return [IntegerConvolution(window: window, groups: groups, weights: weights)
                    .accumulate(x, xZeroPoint: xZero[0], threads: context.threads)]
            }
        }

        /// w's zero points: one, or one per output channel.
        static func wZeroPoints(_ w: Tensor, _ zeroPoint: Tensor?) throws -> [Int32] {
            try MatMulInteger.zeroPoint(zeroPoint, of: QuantizedParameters.eightBitType(w, "w"), name: "w_zero_point", count: w.shape[0])
        }

        /// The weights packed once, when w and its zero point are constants.
        static func constantWeights(_ node: Node, _ context: CompileContext, groups: Int) throws -> PackedIntegerWeights? {
            guard let w = context.constant(node, input: 1) else { return nil }
            let hasZeroPoint = node.inputs.count > 3 && !node.inputs[3].isEmpty
            let zeroPoint = context.constant(node, input: 3)
            if hasZeroPoint && zeroPoint == nil { return nil }
            guard w.rank >= 3 else { throw QConvertError("weights w must have rank 3 or more (M, C/group, kernel...), got shape \(w.shape)") }
            guard w.shape[0] % groups == 0 else { throw QConvertError("\(w.shape[0]) output channels do not split into \(groups) groups") }
            return try PackedIntegerWeights(w, zeroPoints: wZeroPoints(w, zeroPoint), groups: groups)
        }
    }
}
