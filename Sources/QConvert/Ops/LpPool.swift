import QConvertIR

extension Ops {
    /// LpPool: y[n, c, o] = (Σ_k |x[n, c, o·s − pad_begin + k·d]|^p)^(1/p) over the window positions
    /// inside the input (p default 2; dilations and ceil_mode from opset 18), float32.
    enum LpPool: Operator {
        static let type = "LpPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let p = try node.int("p", default: 2)
            return try Pooling.windowed(node) { x, window, context in
                [try Pooling.lpNorm(x, p: p, threads: context.threads) { Pooling.pool($0, window: window, reduction: .sum, threads: context.threads) }]
            }
        }
    }
}
