import QConvertIR

extension Ops {
    /// GlobalAveragePool: y[n, c, 1...] = mean of x[n, c, spatial...].
    enum GlobalAveragePool: Operator {
        static let type = "GlobalAveragePool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Pooling.global(try inputs.floatInput(0, "X"), average: true, threads: context.threads)]
            }
        }
    }
}
