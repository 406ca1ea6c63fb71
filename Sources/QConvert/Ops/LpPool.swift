import QConvertIR

extension Ops {
    /// LpPool: y[n, c, o] = (Σ_k |x[n, c, o·s − pad_begin + k·d]|^p)^(1/p) over the window positions
    /// inside the input (p default 2; dilations and ceil_mode from opset 18), float32.
    enum LpPool: Operator {
        static let type = "LpPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            guard let kernel = attributes.kernelShape else { throw QConvertError("missing required attribute 'kernel_shape'") }
            let p = try node.int("p", default: 2)
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                guard x.rank == kernel.count + 2 else {
                    throw QConvertError("input X of shape \(x.shape) does not match kernel_shape \(kernel)")
                }
                let window = try attributes.window(input: Array(x.shape[2...]), kernel: kernel, leading: Array(x.shape[..<2]))
                guard x.count > 0 || window.outputSize * x.shape[0] * x.shape[1] == 0 else { throw QConvertError("cannot pool the empty input \(x.shape)") }
                return [try Pooling.lpNorm(x, p: p, threads: context.threads) {
                    Pooling.pool($0, window: window, reduction: .sum, threads: context.threads)
                }]
            }
        }
    }
}
