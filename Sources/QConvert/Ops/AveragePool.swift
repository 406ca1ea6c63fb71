import QConvertIR

extension Ops {
    /// AveragePool: y[n, c, o] = Σ_k x[n, c, o·s − pad_begin + k·d] / count, summing positions inside
    /// the input; count is the number of those positions, or with `count_include_pad` = 1 also of the
    /// declared padding positions the window covers.
    enum AveragePool: Operator {
        static let type = "AveragePool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let includePad = try node.int("count_include_pad", default: 0) != 0
            return try Pooling.windowed(node) { x, window, context in
                [Pooling.pool(x, window: window, reduction: .average(includePad: includePad), threads: context.threads)]
            }
        }
    }
}

extension Ops.AveragePool: Quantizable {
    /// Quantized as arithmetic: an average is a new value needing its own rounding.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.arithmetic)
    }
}

extension Ops.AveragePool: ShapeInferable {
    /// Y: [N, C, window over X's spatial dims].
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let attributes = try WindowAttributes(query.node)
        guard let x = query.shape(0), let kernel = attributes.kernelShape, x.count == kernel.count + 2 else { return [nil] }
        let shape = [x[0], x[1]] + (try attributes.outputDims(input: Array(x[2...]), kernel: kernel))
        return [ValueFacts(query.elementType(0) ?? .float, shape)]
    }
}
