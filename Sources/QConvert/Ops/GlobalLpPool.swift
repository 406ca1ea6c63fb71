import QConvertIR

extension Ops {
    /// GlobalLpPool: y[n, c, 1...] = (Σ |x[n, c, spatial...]|^p)^(1/p) (p default 2), float32.
    enum GlobalLpPool: Operator {
        static let type = "GlobalLpPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let p = try node.int("p", default: 2)
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                guard x.rank >= 3 else { throw QConvertError("input X must have rank 3 or more (N, C, spatial...), got shape \(x.shape)") }
                let size = Float(x.shape[2...].reduce(1, *))
                return [try Pooling.lpNorm(x, p: p, threads: context.threads) { powers in
                    Elementwise.map(try Pooling.global(powers, average: true, threads: context.threads), threads: context.threads, Scaled(factor: size))
                }]
            }
        }

        /// The plane average times the plane size: the plane sum.
        struct Scaled: UnaryFunction {
            let factor: Float
            func callAsFunction(_ x: Float) -> Float { x * factor }
        }
    }
}
