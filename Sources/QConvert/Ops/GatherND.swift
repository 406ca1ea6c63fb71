import QConvertIR

extension Ops {
    /// GatherND: each index tuple t = indices[..., :] (k entries) picks the slice data[batch..., t, ...];
    /// the first `batch_dims` dims of data and indices are shared (one lookup per batch position).
    /// out has shape indices.shape[:-1] + data.shape[batch_dims + k:]. Negative indices count from
    /// the end; one out of range is an error. TensorFlow exports (tf2onnx) write it for box and
    /// keypoint lookups. Any fixed-width type.
    enum GatherND: Operator {
        static let type = "GatherND"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let batchDims = try node.int("batch_dims", default: 0)
            return Kernel { inputs, _ in
                let data = try inputs.required(0, "data"), indexTensor = try inputs.required(1, "indices")
                guard let k = indexTensor.shape.last, batchDims >= 0, batchDims < min(data.rank, indexTensor.rank),
                      k <= data.rank - batchDims, Array(indexTensor.shape[..<batchDims]) == Array(data.shape[..<batchDims])
                else {
                    throw QConvertError("indices of shape \(indexTensor.shape) do not fit data of shape \(data.shape) with batch_dims \(batchDims)")
                }
                guard data.dataType.bitWidth >= 8 else { throw QConvertError("\(data.dataType) tensors are not supported") }
                let indices = try indexTensor.intValues("indices")
                let batches = data.shape[..<batchDims].reduce(1, *)
                let sliceShape = Array(data.shape[(batchDims + k)...])
                let shape = Array(indexTensor.shape.dropLast()) + sliceShape
                _ = try ShapeCount.of(shape)
                // Per batch position: data holds a [d_b, ..., d_(b+k-1)] grid of slices, indices `perBatch` tuples.
                let grid = Array(data.shape[batchDims..<(batchDims + k)])
                let perBatch = indexTensor.shape[batchDims..<(indexTensor.rank - 1)].reduce(1, *)
                let slicesPerBatch = grid.reduce(1, *)
                var strides = [Int](repeating: 1, count: k)
                for d in stride(from: k - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * grid[d + 1] }
                let picks = try (0..<(batches * perBatch)).map { t in
                    try (0..<k).reduce(t / perBatch * slicesPerBatch) { offset, d in
                        let extent = grid[d], index = indices[t * k + d]
                        guard index >= -extent && index < extent else {
                            throw QConvertError("index \(index) is out of range for axis \(batchDims + d) of size \(extent)")
                        }
                        return offset + (index < 0 ? index + extent : index) * strides[d]
                    }
                }
                return [data.slices(count: picks.count, sliceElements: sliceShape.reduce(1, *), shape: shape) { picks[$0] }]
            }
        }
    }
}

extension Ops.GatherND: ShapeInferable {
    /// indices' dims but the last, then data's dims past batch_dims + k, of data's type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [nil] }
        let batchDims = try query.node.int("batch_dims", default: 0)
        guard let data = query.shape(0), let indices = query.shape(1), let k = indices.last?.number,
              batchDims + k <= data.count else { return [ValueFacts(type, nil)] }
        return [ValueFacts(type, Array(indices.dropLast()) + Array(data[(batchDims + k)...]))]
    }
}
