import CKernels
import QConvertIR

extension Ops {
    /// BatchNormalization in inference mode: y = (x − mean) / sqrt(var + ε) · scale + B, per channel
    /// (axis 1), computed as y = x · a + b with a = scale / sqrt(var + ε), b = B − mean · a.
    ///
    /// Opsets 7 and 8 also allow `spatial` = 0, where the parameters hold one value per (channel,
    /// position) instead of per channel. Training mode (`training_mode` = 1 from opset 14, or the running
    /// statistics outputs before it, which ONNX Runtime takes as training) is not supported: calibration
    /// runs deployed models.
    enum BatchNormalization: Operator {
        static let type = "BatchNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let epsilon = try node.float("epsilon", default: 1e-5)
            let spatial = try node.int("spatial", default: 1) != 0
            let perPosition = context.opsetVersion < 9 && !spatial
            if try node.int("training_mode", default: 0) != 0 || node.outputs.dropFirst().contains(where: { !$0.isEmpty }) {
                throw QConvertError("training-mode BatchNormalization (batch statistics outputs) is not supported")
            }
            // Constant parameters (the usual case) give a and b once, not once per sample.
            let constants = (1...4).compactMap { context.constant(node, input: $0) }.filter { $0.dataType == .float }
            let usable = constants.count == 4 && Set(constants.map(\.count)).count == 1
            let precomputed = usable ? affine(constants.map { $0.scalars(of: Float.self) }, epsilon: epsilon) : nil
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
                let (scale, offset) = precomputed ?? affine(parameters.map { $0.scalars(of: Float.self) }, epsilon: epsilon)
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
                }]
            }
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
