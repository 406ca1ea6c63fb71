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
                var shape = x.shape
                shape[normalized] = k
                switch x.dataType {
                case .float: return select(x.scalars(of: Float.self), layout: layout, k: k, largest: largest, shape: shape, isNaN: \.isNaN)
                case .double: return select(x.scalars(of: Double.self), layout: layout, k: k, largest: largest, shape: shape, isNaN: \.isNaN)
                case .int32: return select(x.scalars(of: Int32.self), layout: layout, k: k, largest: largest, shape: shape) { _ in false }
                case .int64: return select(x.scalars(of: Int64.self), layout: layout, k: k, largest: largest, shape: shape) { _ in false }
                default: throw QConvertError("\(x.dataType) input is not supported")
                }
            }
        }

        /// Values and indices of the top k along the layout's axis, compared in the element type
        /// itself (int64 beyond 2^53 lost its low bits through Double). NaN ranks as the largest
        /// value, as ONNX Runtime ranks it; equal values keep index order.
        static func select<T: TensorElement & Comparable>(
            _ values: [T], layout: AxisLayout, k: Int, largest: Bool, shape: [Int], isNaN: (T) -> Bool
        ) -> [Tensor] {
            func before(_ a: Int, _ b: Int, _ va: T, _ vb: T) -> Bool {
                let (na, nb) = (isNaN(va), isNaN(vb))
                if na || nb { return na && nb ? a < b : (largest ? na : nb) }
                return va == vb ? a < b : (largest ? va > vb : va < vb)
            }
            let count = layout.outer * k * layout.inner
            guard let filler = values.first, count > 0 else { return [Tensor(shape: shape, scalars: [T]()), Tensor(shape: shape, scalars: [Int64]())] }
            var topValues = [T](repeating: filler, count: count)
            var topIndices = [Int64](repeating: 0, count: count)
            for o in 0..<layout.outer {
                for i in 0..<layout.inner {
                    let base = o * layout.extent * layout.inner + i
                    let order = (0..<layout.extent).sorted { a, b in before(a, b, values[base + a * layout.inner], values[base + b * layout.inner]) }
                    for (rank, index) in order.prefix(k).enumerated() {
                        let at = (o * k + rank) * layout.inner + i
                        topValues[at] = values[base + index * layout.inner]
                        topIndices[at] = Int64(index)
                    }
                }
            }
            return [Tensor(shape: shape, scalars: topValues), Tensor(shape: shape, scalars: topIndices)]
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
