import QConvertIR

extension Ops {
    /// GlobalMaxPool: y[n, c, 1...] = max of x[n, c, spatial...].
    enum GlobalMaxPool: Operator {
        static let type = "GlobalMaxPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Pooling.global(try inputs.floatInput(0, "X"), average: false, threads: context.threads)]
            }
        }
    }
}

extension Ops.GlobalMaxPool: Quantizable {
    /// Quantized as passThrough: the maximum of quantized values is one of them.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}
