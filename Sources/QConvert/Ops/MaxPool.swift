import QConvertIR

extension Ops {
    /// MaxPool: y[n, c, o] = max over k of x[n, c, o·s − pad_begin + k·d] (positions inside the input
    /// only), with the optional Indices output giving each maximum's flat input index (row-major, or
    /// column-major over the spatial axes with `storage_order` = 1). Float32, or uint8/int8 as ONNX
    /// Runtime's QOperator models use it (`EightBitThroughFloat`, exact).
    enum MaxPool: Operator {
        static let type = "MaxPool"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let columnMajor = try node.int("storage_order", default: 0) != 0
            let wantsIndices = node.outputs.count > 1 && !node.outputs[1].isEmpty
            return EightBitThroughFloat.accepting(try Pooling.windowed(node) { x, window, context in
                guard wantsIndices else { return [Pooling.pool(x, window: window, reduction: .max, threads: context.threads)] }
                let (y, indices) = Pooling.maxWithIndices(x, window: window, columnMajor: columnMajor, threads: context.threads)
                return [y, indices]
            })
        }
    }
}

extension Ops.MaxPool: Quantizable {
    /// Quantized as passThrough: the maximum of quantized values is one of them.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        node.outputs.count > 1 && !node.outputs[1].isEmpty ? nil : QuantizationRule(.passThrough)
    }
}

extension Ops.MaxPool: ShapeInferable {
    /// Y: [N, C, window over X's spatial dims]; Indices: the same shape, int64.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let attributes = try WindowAttributes(query.node)
        guard let x = query.shape(0), let kernel = attributes.kernelShape, x.count == kernel.count + 2 else { return [nil] }
        let shape = [x[0], x[1]] + (try attributes.outputDims(input: Array(x[2...]), kernel: kernel))
        return [ValueFacts(query.elementType(0) ?? .float, shape), ValueFacts(.int64, shape)]
    }
}
