import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// LRN (local response normalisation across channels), for input [N, C, D1, ...] in float32:
    ///     y[n, c, d] = x[n, c, d] / (bias + alpha / size * sum of x[n, i, d]^2) ^ beta
    /// summing over channels i from c - floor((size - 1) / 2) to c + ceil((size - 1) / 2), clipped to
    /// [0, C). Defaults: alpha 1e-4, beta 0.75, bias 1; size is required.
    enum LRN: Operator {
        static let type = "LRN"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let size = try node.int("size")
            guard size > 0 else { throw QConvertError("size must be positive, got \(size)") }
            let alpha = try node.float("alpha", default: 1e-4), beta = try node.float("beta", default: 0.75)
            let bias = try node.float("bias", default: 1)
            let below = (size - 1) / 2, above = size - 1 - below
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X")
                guard x.dataType == .float, x.rank >= 2 else {
                    throw QConvertError("expects a float32 input of rank 2 or more, got \(x.dataType) of shape \(x.shape)")
                }
                let layout = AxisLayout(x.shape, axis: 1)
                let (channels, plane) = (layout.extent, layout.inner)
                let scale = alpha / Float(size)
                return [x.withElements(of: Float.self) { source in
                    Tensor(shape: x.shape, of: Float.self) { out in
                        guard x.count > 0, let input = source.baseAddress, let output = out.baseAddress else { return }
                        Parallel.forEach(count: layout.outer * channels, grain: max(1, (1 << 14) / plane), threads: context.threads) { rows in
                            for row in rows {
                                let (n, c) = (row / channels, row % channels)
                                let first = max(0, c - below), last = min(channels - 1, c + above)
                                let x = input + row * plane, y = output + row * plane
                                for d in 0..<plane {
                                    var sum: Float = 0
                                    for i in first...last {
                                        let v = input[(n * channels + i) * plane + d]
                                        sum += v * v
                                    }
                                    y[d] = x[d] / powf(bias + scale * sum, beta)
                                }
                            }
                        }
                    }
                }]
            }
        }
    }
}

extension Ops.LRN: ShapePreserving {}
