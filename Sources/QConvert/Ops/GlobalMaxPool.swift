import QConvertIR

extension Ops {
    /// GlobalMaxPool: y[n, c, 1...] = max of x[n, c, spatial...].
    enum GlobalMaxPool: Operator {
        static let type = "GlobalMaxPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Pooling.global(try inputs.floatInput(0, "X"), .max, threads: context.threads)]
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

extension Ops.GlobalMaxPool: ShapeInferable {
    /// Y: [N, C, 1, ...], one value per image and channel.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), x.count >= 2 else { return [nil] }
        return [ValueFacts(query.elementType(0) ?? .float, Array(x[..<2]) + x.dropFirst(2).map { _ in .value(1) })]
    }
}
