import QConvertIR

extension Ops {
    /// Gather: picks slices of `data` along `axis` by `indices` (negative ones count from the end):
    /// out[a..., i..., b...] = data[a..., indices[i...], b...], so the output shape is data's with the
    /// axis replaced by indices' shape. Any fixed-width type; an index out of range is an error.
    enum Gather: Operator {
        static let type = "Gather"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 0)
            return Kernel { inputs, _ in
                let data = try inputs.required(0, "data")
                let indexTensor = try inputs.required(1, "indices")
                let indices = try indexTensor.intValues("indices")
                let axis = try Axes.normalize(axis, rank: data.rank)
                guard data.dataType.bitWidth >= 8 else { throw QConvertError("\(data.dataType) tensors are not supported") }
                let layout = AxisLayout(data.shape, axis: axis)
                let picks = try indices.map { index in
                    guard index >= -layout.extent && index < layout.extent else {
                        throw QConvertError("index \(index) is out of range for axis \(axis) of size \(layout.extent)")
                    }
                    return index < 0 ? index + layout.extent : index
                }
                let shape = Array(data.shape[..<axis]) + indexTensor.shape + Array(data.shape[(axis + 1)...])
                _ = try ShapeCount.of(shape)
                let block = layout.inner * data.dataType.bitWidth / 8
                let storage = TensorStorage(uninitializedByteCount: layout.outer * picks.count * block) { out in
                    guard block > 0 else { return }
                    let source = data.storage.bytes
                    for o in 0..<layout.outer {
                        for (j, pick) in picks.enumerated() {
                            let from = (o * layout.extent + pick) * block, to = (o * picks.count + j) * block
                            UnsafeMutableRawBufferPointer(rebasing: out[to..<to + block])
                                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[from..<from + block]))
                        }
                    }
                }
                return [Tensor(dataType: data.dataType, shape: shape, storage: storage)]
            }
        }
    }
}

extension Ops.Gather: Quantizable {
    /// Quantized as passThrough: selects values of input 0 (indices stay integer).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}
