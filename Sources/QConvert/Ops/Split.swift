import QConvertIR

extension Ops {
    /// Split: cuts the input along `axis` into consecutive parts, one per output. Part sizes come from
    /// `split` (an attribute before opset 13, an input from 13); without it the axis is divided evenly,
    /// or with `num_outputs` (opset 18) into parts of ceil(dim / n) with a smaller (possibly empty)
    /// last one. Any fixed-width type.
    enum Split: Operator {
        static let type = "Split"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 0)
            let split = try IntListArgument(node, context, name: "split", input: 1, inputSince: 13)
            let numOutputs = try node.int("num_outputs", default: 0)
            let outputs = node.outputs.count
            if numOutputs != 0 && numOutputs != outputs {
                throw QConvertError("num_outputs is \(numOutputs) but the node has \(outputs) outputs")
            }
            return Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                let axis = try Axes.normalize(axis, rank: x.rank)
                let listed = try split.value(inputs, name: "split")
                let sizes = try partSizes(listed, dim: x.shape[axis], outputs: outputs, ceiling: numOutputs != 0)
                let strides = StridedCopy.contiguousStrides(x.shape)
                var start = 0
                return try sizes.map { size in
                    var shape = x.shape
                    shape[axis] = size
                    defer { start += size }
                    return try StridedCopy.copy(x, shape: shape, strides: strides, offset: start * strides[axis], threads: context.threads)
                }
            }
        }

        /// The size of each part of a dim of size `dim`.
        static func partSizes(_ split: [Int]?, dim: Int, outputs: Int, ceiling: Bool) throws -> [Int] {
            if let split {
                guard split.count == outputs, split.allSatisfy({ $0 >= 0 && $0 <= dim }), split.reduce(0, +) == dim else {
                    throw QConvertError("split \(split) must be \(outputs) non-negative sizes adding up to \(dim)")
                }
                return split
            }
            guard outputs > 0 else { throw QConvertError("Split needs at least one output") }
            if ceiling {
                // 6 into 4 parts of 2 leaves nothing for the last: [2, 2, 2, 0], as ONNX Runtime gives;
                // 5 into 4 would need a negative last part, which it refuses too.
                let part = (dim + outputs - 1) / outputs
                guard part * (outputs - 1) <= dim else {
                    throw QConvertError("a dim of \(dim) cannot be split into \(outputs) parts of \(part)")
                }
                return (0..<outputs).map { min(part, dim - $0 * part) }
            }
            guard dim % outputs == 0 else { throw QConvertError("a dim of \(dim) cannot be split evenly into \(outputs) parts") }
            return [Int](repeating: dim / outputs, count: outputs)
        }
    }
}

extension Ops.Split: Quantizable {
    /// Quantized as passThrough: each output is a part of the input.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Split: ShapeInferable {
    /// The input's shape with the split axis cut into `partSizes`; unknown sizes when the axis is symbolic.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0),
              let listed = try query.list("split", input: 1, inputSince: 13) else { return [] }
        let axis = try Axes.normalize(try query.node.int("axis", default: 0), rank: x.count)
        let outputs = query.node.outputs.count
        let sizes: [Dim] = try x[axis].number.map { dim in
            try partSizes(listed, dim: dim, outputs: outputs, ceiling: try query.node.int("num_outputs", default: 0) != 0).map { .value($0) }
        } ?? listed?.map { .value($0) } ?? Array(repeating: .unknown, count: outputs)
        return sizes.map { size in
            var shape = x
            shape[axis] = size
            return ValueFacts(type, shape)
        }
    }
}
