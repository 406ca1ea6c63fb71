import QConvertIR

extension Ops {
    /// InstanceNormalization: for input [N, C, D1, ...], normalises each (n, c) over its spatial dims:
    ///     y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c]
    /// with mean and biased variance per (n, c). float32; statistics in float64 (see `Moments`).
    enum InstanceNormalization: Operator {
        static let type = "InstanceNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let epsilon = Double(try node.float("epsilon", default: 1e-5))
            return Kernel { inputs, context in
                let x = try inputs.required(0, "input"), scale = try inputs.required(1, "scale"), bias = try inputs.required(2, "B")
                guard [x, scale, bias].allSatisfy({ $0.dataType == .float }) else { throw QConvertError("expects float32 inputs") }
                guard x.rank >= 2 else { throw QConvertError("input must have rank 2 or more, got shape \(x.shape)") }
                let channels = x.shape[1]
                guard scale.shape == [channels], bias.shape == [channels] else {
                    throw QConvertError("scale \(scale.shape) and B \(bias.shape) must both be [\(channels)] for input \(x.shape)")
                }
                let gamma = scale.scalars(of: Float.self), beta = bias.scalars(of: Float.self)
                let spatial = x.shape[2...].reduce(1, *)
                return [PlaneNormalization.normalize(x, plane: spatial, run: spatial, epsilon: epsilon, gamma: gamma, beta: beta,
                                                     threads: context.threads) { plane, _ in plane % channels }]
            }
        }
    }
}

extension Ops.InstanceNormalization: ShapePreserving {}
