import QConvertIR

extension Ops {
    /// GatherElements: out has indices' shape and out[i0, ..., ik] = data[i0, ..., indices[i0, ..., ik],
    /// ..., ik] with the index replacing position `axis` (negative ones count from the end). Any
    /// fixed-width type; an index out of range is an error.
    enum GatherElements: Operator {
        static let type = "GatherElements"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 0)
            return Kernel { inputs, context in
                let data = try inputs.required(0, "data"), indexTensor = try inputs.required(1, "indices")
                let axis = try Axes.normalize(axis, rank: data.rank)
                let shape = indexTensor.shape
                let fits = shape.count == data.rank && shape.indices.allSatisfy { $0 == axis || shape[$0] <= data.shape[$0] }
                guard fits else {
                    throw QConvertError("indices shape \(shape) does not fit data shape \(data.shape)")
                }
                guard data.dataType.bitWidth >= 8 else { throw QConvertError("\(data.dataType) tensors are not supported") }
                let offsets = try ElementOffsets.of(try indexTensor.intValues("indices"), shape: shape, dataShape: data.shape, axis: axis)
                return [data.slices(count: offsets.count, sliceElements: 1, shape: shape) { offsets[$0] }]
            }
        }
    }
}

extension Ops.GatherElements: ShapeInferable {
    /// indices' shape, of data's type (data's rank with unknown dims when indices' shape is unknown).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [nil] }
        guard let indices = query.shape(1) else { return [ValueFacts(type, query.shape(0)?.map { _ in .unknown })] }
        if let data = query.shape(0), data.count != indices.count {
            throw QConvertError("indices of shape \(indices) and data of shape \(data) differ in rank")
        }
        return [ValueFacts(type, indices)]
    }
}
