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

extension Ops.GlobalAveragePool: Quantizable {
    /// Quantized as arithmetic: an average is a new value needing its own rounding.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic)
    }
}
