import QConvertIR

extension Ops {
    /// TopK: the k largest (or, with `largest` = 0, smallest) elements along `axis` (default -1) and
    /// their int64 indices, in order best first; equal values keep index order (ORT's tie rule). k is
    /// an attribute before opset 10, a one-element input from 10. float32, float64, int32, int64.
    enum TopK: Operator {
        static let type = "TopK"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: -1)
            let largest = try node.int("largest", default: 1) != 0
            let attributeK = context.opsetVersion < 10 ? try node.int("k") : nil
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "X")
                let k = try attributeK ?? inputs.required(1, "K").intScalar("K")
                let normalized = try Axes.normalize(axis, rank: x.rank)
                let layout = AxisLayout(x.shape, axis: normalized)
                guard k >= 0 && k <= layout.extent else {
                    throw QConvertError("k = \(k) is out of range for an axis of size \(layout.extent)")
                }
                let values: [Double]
                switch x.dataType {
                case .float: values = x.scalars(of: Float.self).map(Double.init)
                case .double: values = x.scalars(of: Double.self)
                case .int32: values = x.scalars(of: Int32.self).map(Double.init)
                case .int64: values = x.scalars(of: Int64.self).map(Double.init)
                default: throw QConvertError("\(x.dataType) input is not supported")
                }
                var shape = x.shape
                shape[normalized] = k
                var topValues = [Double](repeating: 0, count: layout.outer * k * layout.inner)
                var topIndices = [Int64](repeating: 0, count: topValues.count)
                for o in 0..<layout.outer {
                    for i in 0..<layout.inner {
                        let base = o * layout.extent * layout.inner + i
                        let order = (0..<layout.extent).sorted { a, b in
                            let va = values[base + a * layout.inner], vb = values[base + b * layout.inner]
                            return va == vb ? a < b : (largest ? va > vb : va < vb)
                        }
                        for (rank, index) in order.prefix(k).enumerated() {
                            let at = (o * k + rank) * layout.inner + i
                            topValues[at] = values[base + index * layout.inner]
                            topIndices[at] = Int64(index)
                        }
                    }
                }
                return [try Conversion.convert(Tensor(shape: shape, scalars: topValues), to: x.dataType),
                        Tensor(shape: shape, scalars: topIndices)]
            }
        }
    }
}

extension Ops.TopK: ShapeInferable {
    /// Values (X's type) and int64 Indices: X's shape with the axis cut to k, a number or a symbolic
    /// size when K lists one, else unknown.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [] }
        let axis = try Axes.normalize(try query.node.int("axis", default: -1), rank: x.count)
        let listed = query.context.opsetVersion < 10 ? [.value(try query.node.int("k"))] : query.elements(1)
        let k = listed.flatMap { $0.count == 1 ? $0[0] : nil } ?? .unknown
        if let size = k.number, size < 0 || x[axis].number.map({ size > $0 }) ?? false {
            throw QConvertError("k = \(size) is out of range for axis \(axis) of \(x)")
        }
        var shape = x
        shape[axis] = k
        return [ValueFacts(type, shape), ValueFacts(.int64, shape)]
    }
}
