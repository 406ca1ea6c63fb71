import QConvertIR

extension Ops {
    /// GroupNormalization: for input [N, C, D1, ...], the C channels split into `num_groups` groups of
    /// consecutive channels, each (n, group) normalised over its channels and spatial dims:
    ///     y = scale * (x - mean) / sqrt(var + epsilon) + bias
    /// with mean and biased variance per (n, group). scale and bias are per channel ([C], opset 21)
    /// or, in opset 18, per group ([num_groups]), which opset 21 replaced. float32; statistics in
    /// float64 (see `Moments`).
    enum GroupNormalization: Operator {
        static let type = "GroupNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let epsilon = Double(try node.float("epsilon", default: 1e-5)), groups = try node.int("num_groups")
            let perGroup = context.opsetVersion < 21
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X"), scale = try inputs.required(1, "scale"), bias = try inputs.required(2, "bias")
                guard [x, scale, bias].allSatisfy({ $0.dataType == .float }) else { throw QConvertError("expects float32 inputs") }
                guard x.rank >= 2 else { throw QConvertError("input must have rank 2 or more, got shape \(x.shape)") }
                let channels = x.shape[1]
                guard groups >= 1, channels % groups == 0 else {
                    throw QConvertError("num_groups \(groups) does not divide the \(channels) channels of input \(x.shape)")
                }
                let parameters = perGroup ? groups : channels
                guard scale.shape == [parameters], bias.shape == [parameters] else {
                    throw QConvertError("scale \(scale.shape) and bias \(bias.shape) must both be [\(parameters)] (one per \(perGroup ? "group" : "channel"))")
                }
                let gamma = scale.scalars(of: Float.self), beta = bias.scalars(of: Float.self)
                let spatial = x.shape[2...].reduce(1, *), perGroupChannels = channels / groups
                return [PlaneNormalization.normalize(x, plane: perGroupChannels * spatial, run: spatial, epsilon: epsilon, gamma: gamma, beta: beta,
                                                     threads: context.threads) { plane, run in
                    perGroup ? plane % groups : plane % groups * perGroupChannels + run
                }]
            }
        }
    }
}

extension Ops.GroupNormalization: ShapePreserving {}
