import QConvertIR

extension Ops {
    /// GlobalAveragePool: y[n, c, 1...] = mean of x[n, c, spatial...].
    enum GlobalAveragePool: Operator {
        static let type = "GlobalAveragePool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Pooling.global(try inputs.floatInput(0, "X"), .average(includePad: false), threads: context.threads)]
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

extension Ops.GlobalAveragePool: ShapeInferable {
    /// Y: [N, C, 1, ...], one value per image and channel.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), x.count >= 2 else { return [nil] }
        return [ValueFacts(query.elementType(0) ?? .float, Array(x[..<2]) + x.dropFirst(2).map { _ in .value(1) })]
    }
}
