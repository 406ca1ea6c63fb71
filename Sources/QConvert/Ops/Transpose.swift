import QConvertIR

extension Ops {
    /// Transpose: output dim i is input dim perm[i] (perm defaults to reversing the dims), so
    /// out[i0, ..., ik] = x[j] with j[perm[d]] = i_d. Any fixed-width type.
    enum Transpose: Operator {
        static let type = "Transpose"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let perm = try node.ints("perm")
            return Kernel { inputs, context in
                let x = try inputs.required(0, "data")
                let order = perm ?? Array((0..<x.rank).reversed())
                guard order.sorted() == Array(0..<x.rank) else {
                    throw QConvertError("perm \(order) is not a permutation of the \(x.rank) axes of shape \(x.shape)")
                }
                let shape = order.map { x.shape[$0] }
                // Moving only size-1 dims keeps the element order: no copy needed.
                let moved = order.filter { x.shape[$0] != 1 }
                if moved == moved.sorted() { return [x.reshaped(shape)] }
                let strides = StridedCopy.contiguousStrides(x.shape)
                return [try StridedCopy.copy(x, shape: shape, strides: order.map { strides[$0] }, offset: 0, threads: context.threads)]
            }
        }
    }
}

extension Ops.Transpose: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Transpose: ShapeInferable {
    /// Output dim i is input dim perm[i].
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        let order = try query.node.ints("perm") ?? Array((0..<x.count).reversed())
        guard order.sorted() == Array(0..<x.count) else { throw QConvertError("perm \(order) is not a permutation of \(x.count) axes") }
        return [ValueFacts(type, order.map { x[$0] })]
    }
}
