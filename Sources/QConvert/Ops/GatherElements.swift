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
                let extent = data.shape[axis]
                let indices = try indexTensor.intValues("indices").map { index in
                    guard index >= -extent && index < extent else {
                        throw QConvertError("index \(index) is out of range for axis \(axis) of size \(extent)")
                    }
                    return index < 0 ? index + extent : index
                }
                // Walk the output reading data at its own position with the axis stride zeroed; each
                // element then adds its index times that stride.
                var dataStrides = StridedCopy.contiguousStrides(data.shape)
                let axisStride = dataStrides[axis]
                dataStrides[axis] = 0
                let walk = StridedRows(shape: shape, strides: [dataStrides, StridedCopy.contiguousStrides(shape)])
                func gather<T: TensorElement>(_ type: T.Type) -> Tensor {
                    data.withElements(of: T.self) { source in
                        Tensor(shape: shape, dataType: data.dataType, of: T.self) { out in
                            guard walk.count > 0 else { return }
                            let inner = walk.inner, step = walk.innerStride(0), indexStep = walk.innerStride(1)
                            walk.forEachRow(0..<walk.rows) { start, offsets in
                                for i in 0..<inner {
                                    out[start + i] = source[offsets[0] + i * step + indices[offsets[1] + i * indexStep] * axisStride]
                                }
                            }
                        }
                    }
                }
                switch data.dataType.bitWidth {
                case 8: return [gather(UInt8.self)]
                case 16: return [gather(UInt16.self)]
                case 32: return [gather(UInt32.self)]
                case 64: return [gather(UInt64.self)]
                default: throw QConvertError("\(data.dataType) tensors are not supported")
                }
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
