import QConvertIR

/// The integer weights and bias of one quantized compute node, ready to be written.
public struct QuantizedWeights: Sendable {
    public var weightInput: Int
    public var weight: WeightQuantization.Result
    public var biasInput: Int?
    public var bias: WeightQuantization.Result?
}

/// Where a quantized compute node's weight grid comes from: which input is the weight, its channel
/// axis, the bits, and the per-channel scales (max|w_c| / qmax, widened where a bias would not fit
/// int32 on scale s_x * s_w[c]). Rounding to that grid (nearest, or GPTQ) happens elsewhere.
public struct WeightLayout: Sendable {
    public var node: String
    public var weightInput: Int
    public var weight: Tensor
    /// Channel axis, normalised (nil: per-tensor).
    public var axis: Int?
    public var bits: Int
    public var scales: [Float]
    public var biasInput: Int?
    public var bias: Tensor?
    /// Scale of the activation input (the bias is quantized on inputScale x scales[c]); nil when the
    /// input is not quantized ahead of time (weight-only, dynamic), and the bias then stays float.
    public var inputScale: Float?

    /// The weight choice and rule of `node` when `plan` quantizes its weights.
    private static func planned(_ node: Node, graph: Graph, plan: QuantizationPlan) throws -> (QuantizationPlan.WeightChoice, QuantizationRule)? {
        guard let choice = plan.weights[node.displayName], plan.nodes.contains(where: { $0.node == node.displayName && $0.quantized }),
              let rule = try QuantizationRule.of(node, isConstant: { graph.initializers[$0] != nil })
        else { return nil }
        return (choice, rule)
    }

    /// Every weight of `node` the plan quantizes: a compute node's one (`of`), or each weight an LSTM
    /// or GRU stores in int8 (per channel along the rule's axis, no bias, rounded to nearest).
    public static func all(_ node: Node, graph: Graph, plan: QuantizationPlan) throws -> [WeightLayout] {
        guard let (choice, rule) = try planned(node, graph: graph, plan: plan) else { return [] }
        guard case .storedWeights(let inputs, let axis) = rule.kind else { return try of(node, graph: graph, plan: plan).map { [$0] } ?? [] }
        return inputs.compactMap { input in
            guard let weight = graph.initializers[node.inputs[input]] else { return nil }
            let channelAxis = choice.perChannel ? (axis < 0 ? axis + weight.rank : axis) : nil
            let scales = WeightQuantization.scales(maxima: WeightQuantization.channelMaxima(weight, axis: channelAxis), bits: choice.bits)
            return WeightLayout(node: node.displayName, weightInput: input, weight: weight, axis: channelAxis, bits: choice.bits,
                                scales: scales, biasInput: nil, bias: nil, inputScale: nil)
        }
    }

    /// The layout of compute node `node` under `plan`, or nil when the plan does not quantize its weight.
    public static func of(_ node: Node, graph: Graph, plan: QuantizationPlan) throws -> WeightLayout? {
        guard let (choice, rule) = try planned(node, graph: graph, plan: plan),
              case .compute(let weightInput, let axis, let biasInput) = rule.kind,
              let weight = graph.initializers[node.inputs[weightInput]]
        else { return nil }
        let inputScale = plan.points[node.inputs[rule.activationInputs[0]]]?.scales[0]
        let outputAxis = axis < 0 ? axis + weight.rank : axis
        let channelAxis = choice.perChannel ? outputAxis : nil
        var scales = WeightQuantization.scales(maxima: WeightQuantization.channelMaxima(weight, axis: channelAxis), bits: choice.bits)
        // Only a bias with one value per output channel ([N], or Gemm's [1, N]) becomes int32; any other
        // (Gemm's C may be a scalar or a full [M, N] matrix) stays float.
        let bias = inputScale == nil ? nil : biasInput.flatMap { $0 < node.inputs.count && !node.inputs[$0].isEmpty ? graph.initializers[node.inputs[$0]] : nil }
            .flatMap { $0.shape.last == weight.shape[outputAxis] && $0.shape.dropLast().allSatisfy { $0 == 1 } ? $0 : nil }
        if let bias, let values = bias.floats(), let inputScale {
            scales = WeightQuantization.widenedForBias(scales, bias: values, inputScale: inputScale)
        }
        return WeightLayout(node: node.displayName, weightInput: weightInput, weight: weight, axis: channelAxis, bits: choice.bits,
                            scales: scales, biasInput: bias == nil ? nil : biasInput, bias: bias, inputScale: inputScale)
    }

    /// Weight rounded to the nearest grid point, and the bias.
    public func roundedToNearest() -> QuantizedWeights {
        with(weight: WeightQuantization.quantize(weight, scales: scales, axis: axis, bits: bits))
    }

    /// The given integer weight, and the bias quantized on its scales.
    public func with(weight result: WeightQuantization.Result) -> QuantizedWeights {
        QuantizedWeights(weightInput: weightInput, weight: result, biasInput: biasInput,
                         bias: bias.flatMap { b in inputScale.map { WeightQuantization.quantizeBias(b, inputScale: $0, weightScales: scales) } })
    }
}
