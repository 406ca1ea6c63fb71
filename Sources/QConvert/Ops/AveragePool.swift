import QConvertIR

extension Ops {
    /// AveragePool: y[n, c, o] = Σ_k x[n, c, o·s − pad_begin + k·d] / count, summing positions inside
    /// the input; count is the number of those positions, or with `count_include_pad` = 1 also of the
    /// declared padding positions the window covers.
    enum AveragePool: Operator {
        static let type = "AveragePool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            guard let kernel = attributes.kernelShape else { throw QConvertError("missing required attribute 'kernel_shape'") }
            let includePad = try node.int("count_include_pad", default: 0) != 0
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                guard x.rank == kernel.count + 2 else {
                    throw QConvertError("input X of shape \(x.shape) does not match kernel_shape \(kernel)")
                }
                let window = try attributes.window(input: Array(x.shape[2...]), kernel: kernel, leading: Array(x.shape[..<2]))
                guard x.count > 0 || window.outputSize * x.shape[0] * x.shape[1] == 0 else { throw QConvertError("cannot pool the empty input \(x.shape)") }
                return [Pooling.pool(x, window: window, reduction: .average(includePad: includePad), threads: context.threads)]
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
