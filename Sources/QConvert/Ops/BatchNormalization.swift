import CKernels
import QConvertIR

extension Ops {
    /// BatchNormalization in inference mode: y = (x − mean) / sqrt(var + ε) · scale + B, per channel
    /// (axis 1), computed as y = x · a + b with a = scale / sqrt(var + ε), b = B − mean · a.
    ///
    /// Opsets 7 and 8 also allow `spatial` = 0, where the parameters hold one value per (channel,
    /// position) instead of per channel.
    ///
    /// Training mode (`training_mode` = 1, opset 14 on) normalizes with the batch's own statistics:
    /// mean and population variance per channel over every other axis, and writes the running
    /// statistics input·momentum + batch·(1 − momentum) to its optional outputs. Deployed models use
    /// it on constants: NF-Net's weight standardisation normalizes each filter so, and the folded
    /// result is the weight. Before opset 14 extra outputs meant training, with other outputs
    /// (saved statistics): not supported.
    enum BatchNormalization: Operator {
        static let type = "BatchNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let epsilon = try node.float("epsilon", default: 1e-5)
            let spatial = try node.int("spatial", default: 1) != 0
            let perPosition = context.opsetVersion < 9 && !spatial
            let training = try node.int("training_mode", default: 0) != 0
            if context.opsetVersion < 14 && node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
                throw QConvertError("training-mode BatchNormalization before opset 14 (saved statistics outputs) is not supported")
            }
            if !training && node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
                throw QConvertError("running statistics outputs need training_mode = 1")
            }
            let momentum = try node.float("momentum", default: 0.9)
            // Constant parameters (the usual case) give a and b once, not once per sample.
            let constants = (1...4).compactMap { context.constant(node, input: $0) }.filter { $0.dataType == .float }
            let usable = constants.count == 4 && Set(constants.map(\.count)).count == 1
            let precomputed = usable && !training ? affine(constants.map { $0.scalars(of: Float.self) }, epsilon: epsilon) : nil
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let parameters = try ["scale", "B", "input_mean", "input_var"].enumerated().map { index, name in
                    try inputs.floatInput(index + 1, name)
                }
                guard x.rank >= 2 else { throw QConvertError("input X must have rank 2 or more (N, C, ...), got shape \(x.shape)") }
                let channels = x.shape[1]
                let inner = x.shape[2...].reduce(1, *)
                let expected = perPosition ? Array(x.shape[1...]) : [channels]
                for (index, parameter) in parameters.enumerated() where parameter.count != expected.reduce(1, *) {
                    throw QConvertError("input \(["scale", "B", "input_mean", "input_var"][index]) must have shape \(expected), got \(parameter.shape)")
                }
                var values = parameters.map { $0.scalars(of: Float.self) }
                var running: [Tensor] = []
                if training {
                    guard !perPosition else { throw QConvertError("training mode with spatial = 0 is not supported") }
                    let batch = batchStatistics(x, channels: channels, inner: inner)
                    running = [(values[2], batch.mean), (values[3], batch.variance)].map { input, current in
                        Tensor(shape: [channels], scalars: zip(input, current).map { $0 * momentum + $1 * (1 - momentum) })
                    }
                    (values[2], values[3]) = (batch.mean, batch.variance)
                }
                let (scale, offset) = precomputed ?? affine(values, epsilon: epsilon)
                return [x.withElements(of: Float.self) { xs in
                    Tensor(uninitializedShape: x.shape, of: Float.self) { ys in
                        let planes = x.count / max(1, inner)
                        Parallel.forEach(count: planes, grain: max(1, (1 << 16) / max(1, inner)), threads: context.threads) { range in
                            for plane in range {
                                let c = plane % channels
                                let base = plane * inner
                                if perPosition {
                                    let p = c * inner
                                    for i in 0..<inner { ys[base + i] = xs[base + i] * scale[p + i] + offset[p + i] }
                                } else {
                                    qc_unary(QC_AFFINE, scale[c], offset[c], xs.baseAddress! + base, ys.baseAddress! + base, inner)
                                }
                            }
                        }
                    }
                }] + running
            }
        }

        /// Mean and population variance of each channel (axis 1) over every other axis (`Moments`).
        static func batchStatistics(_ x: Tensor, channels: Int, inner: Int) -> (mean: [Float], variance: [Float]) {
            guard x.count > 0 else { return ([Float](repeating: 0, count: channels), [Float](repeating: 0, count: channels)) }
            let statistics = x.withElements(of: Float.self) { xs in
                (0..<channels).map { c in Moments.of(xs.baseAddress!, runs: stride(from: c * inner, to: x.count, by: channels * inner), length: inner) }
            }
            return (statistics.map { Float($0.mean) }, statistics.map { Float($0.variance) })
        }

        /// (a, b) with a = scale / sqrt(var + ε) and b = B − mean · a, elementwise.
        static func affine(_ parameters: [[Float]], epsilon: Float) -> (scale: [Float], offset: [Float]) {
            let (gamma, beta, mean, variance) = (parameters[0], parameters[1], parameters[2], parameters[3])
            let scale = gamma.indices.map { gamma[$0] / (variance[$0] + epsilon).squareRoot() }
            return (scale, gamma.indices.map { beta[$0] - mean[$0] * scale[$0] })
        }
    }
}

extension Ops.BatchNormalization: ShapePreserving {}
