import QConvertIR

extension Ops {
    /// ScatterND: a copy of data in which, for each index tuple t = indices[i..., :] (k entries),
    /// the slice data[t, ...] is replaced by updates[i, ...], or combined with it when `reduction` is
    /// add, mul, max or min (opset 16/18). torch.onnx exports slice assignment (`x[..., :n] = y`, Swin's
    /// attention masks) this way. Negative indices count from the end; one out of range is an error.
    /// Tuples are applied in order, so with reduction none a repeated tuple keeps its last update.
    /// Any fixed-width type without reduction; float32, float64, int32, int64 with one.
    enum ScatterND: Operator {
        static let type = "ScatterND"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let name = try node.string("reduction", default: "none")
            try ScatterReduction.check(name)
            return Kernel { inputs, _ in
                let data = try inputs.required(0, "data"), indexTensor = try inputs.required(1, "indices"), updates = try inputs.required(2, "updates")
                guard let k = indexTensor.shape.last, k <= data.rank else {
                    throw QConvertError("indices of shape \(indexTensor.shape) must end in a tuple length at most data's rank \(data.rank)")
                }
                let expected = Array(indexTensor.shape.dropLast()) + Array(data.shape[k...])
                guard updates.shape == expected, updates.dataType == data.dataType else {
                    throw QConvertError("updates must be \(data.dataType) of shape \(expected) (indices \(indexTensor.shape), data \(data.shape)), got \(updates.dataType) \(updates.shape)")
                }
                let slice = data.shape[k...].reduce(1, *), strides = StridedCopy.contiguousStrides(data.shape)
                let indices = try indexTensor.intValues("indices")
                // One tuple per position of indices' leading dims (k = 0: each one is all of data).
                let tuples = indexTensor.shape.dropLast().reduce(1, *)
                let offsets = try (0..<tuples).map { n in
                    try (0..<k).reduce(0) { offset, d in
                        let extent = data.shape[d], index = indices[n * k + d]
                        guard index >= -extent && index < extent else {
                            throw QConvertError("index \(index) is out of range for axis \(d) of size \(extent)")
                        }
                        return offset + (index < 0 ? index + extent : index) * strides[d]
                    }
                }
                return [try ScatterReduction.scatter(data, updates: updates, offsets: offsets, slice: slice, reduction: name)]
            }
        }
    }
}

extension Ops.ScatterND: ShapeInferable {
    /// data's type and shape.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [query.elementType(0).map { ValueFacts($0, query.shape(0)) }]
    }
}
