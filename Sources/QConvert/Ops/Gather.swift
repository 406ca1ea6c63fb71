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
                return [try take(data, along: axis, picks: picks, indexShape: indexTensor.shape)]
            }
        }

        /// The slices of `data` at positions `picks` (in range, non-negative) along `axis`, the axis
        /// becoming `indexShape` (whose element count is `picks.count`). Compress takes its slices so too.
        static func take(_ data: Tensor, along axis: Int, picks: [Int], indexShape: [Int]) throws -> Tensor {
            let layout = AxisLayout(data.shape, axis: axis)
            let shape = Array(data.shape[..<axis]) + indexShape + Array(data.shape[(axis + 1)...])
            _ = try ShapeCount.of(shape)
            return data.slices(count: layout.outer * picks.count, sliceElements: layout.inner, shape: shape) { j in
                j / picks.count * layout.extent + picks[j % picks.count]
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

extension Ops.Gather: ShapeInferable {
    /// data's shape with the axis replaced by indices' shape; picks from a list when indices are known.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let data = query.shape(0), let indices = query.shape(1), let type = query.elementType(0) else { return [nil] }
        let axis = try Axes.normalize(try query.node.int("axis", default: 0), rank: data.count)
        var facts = ValueFacts(type, Array(data[..<axis]) + indices + Array(data[(axis + 1)...]))
        if let list = query.elements(0), data.count == 1, let picks = query.ints(1) {
            facts.elements = try picks.map { index in
                guard index >= -list.count && index < list.count else { throw QConvertError("index \(index) is out of range for \(list.count)") }
                return list[index < 0 ? index + list.count : index]
            }
        }
        return [facts]
    }
}
