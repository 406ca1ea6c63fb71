import QConvertIR

extension Ops {
    /// GlobalLpPool: y[n, c, 1...] = (Σ |x[n, c, spatial...]|^p)^(1/p) (p default 2), float32.
    enum GlobalLpPool: Operator {
        static let type = "GlobalLpPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let p = try node.int("p", default: 2)
            return Kernel { inputs, context in
                // Pooling.global checks X's type and rank.
                return [try Pooling.lpNorm(try inputs.floatInput(0, "X"), p: p, threads: context.threads) { try Pooling.global($0, .sum, threads: context.threads) }]
            }
        }
    }
}
