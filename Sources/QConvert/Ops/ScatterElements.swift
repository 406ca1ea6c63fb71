import QConvertIR

extension Ops {
    /// ScatterElements: a copy of data in which each updates[i0, ..., ik] lands at data[i0, ...,
    /// indices[i0, ..., ik], ..., ik] (the index replacing position `axis`), replacing the value or
    /// combined with it by `reduction` (add, mul, max, min; opset 16/18), in order. The inverse of
    /// GatherElements; indices and updates have one shape, no larger than data's outside the axis.
    /// Negative indices count from the end; one out of range is an error.
    enum ScatterElements: Operator {
        static let type = "ScatterElements"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 0), name = try node.string("reduction", default: "none")
            try ScatterReduction.check(name)
            return Kernel { inputs, _ in
                let data = try inputs.required(0, "data"), indexTensor = try inputs.required(1, "indices"), updates = try inputs.required(2, "updates")
                let axis = try Axes.normalize(axis, rank: data.rank)
                let shape = indexTensor.shape
                guard shape == updates.shape, updates.dataType == data.dataType, shape.count == data.rank,
                      shape.indices.allSatisfy({ $0 == axis || shape[$0] <= data.shape[$0] })
                else {
                    throw QConvertError("indices \(shape) and updates \(updates.dataType) \(updates.shape) must have one shape within data's \(data.dataType) \(data.shape)")
                }
                let offsets = try ElementOffsets.of(try indexTensor.intValues("indices"), shape: shape, dataShape: data.shape, axis: axis)
                return [try ScatterReduction.scatter(data, updates: updates, offsets: offsets, slice: 1, reduction: name)]
            }
        }
    }
}

extension Ops.ScatterElements: ShapeInferable {
    /// data's type and shape.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [query.elementType(0).map { ValueFacts($0, query.shape(0)) }]
    }
}
