import QConvertIR

extension Ops {
    /// Concat: joins the inputs along `axis`; all have one type and rank, and equal dims elsewhere.
    /// For each index before the axis, the output row is each input's row in turn (block copies).
    /// Any fixed-width type.
    enum Concat: Operator {
        static let type = "Concat"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis")
            return Kernel { inputs, context in [try join(inputs.compactMap { $0 }, axis: axis, threads: context.threads)] }
        }

        /// Output bytes per parallel chunk: a copy this size takes a few microseconds.
        static let grain = 1 << 17

        /// `parts` joined along `axis` (QLinearConcat joins its requantized inputs here too), the output
        /// copied in fixed chunks of bytes spread over `threads` (pure copies, so any split gives the same
        /// bytes).
        static func join(_ parts: [Tensor], axis: Int, threads: Int = 1) throws -> Tensor {
            guard let first = parts.first else { throw QConvertError("needs at least one input") }
            let axis = try Axes.normalize(axis, rank: first.rank)
            guard first.dataType.bitWidth >= 8 else { throw QConvertError("\(first.dataType) tensors are not supported") }
            let width = first.dataType.bitWidth / 8
            func offAxis(_ shape: [Int]) -> [Int] { shape.enumerated().map { $0.offset == axis ? 0 : $0.element } }
            var shape = first.shape
            shape[axis] = 0
            for part in parts {
                guard part.dataType == first.dataType, part.rank == first.rank, offAxis(part.shape) == offAxis(first.shape) else {
                    throw QConvertError(
                        "cannot join \(first.dataType) \(first.shape) and \(part.dataType) \(part.shape) along axis \(axis)")
                }
                shape[axis] += part.shape[axis]
            }
            let outer = AxisLayout(shape, axis: axis).outer
            let rowBytes = shape[axis...].reduce(width, *)
            // Each output row is every part's row in turn: part k fills bytes [starts[k], starts[k] + sizes[k]).
            let sizes = parts.map { $0.shape[axis...].reduce(width, *) }
            var starts = [0]
            for size in sizes { starts.append(starts[starts.count - 1] + size) }
            _ = try ShapeCount.of(shape)
            let total = outer * rowBytes
            let storage = TensorStorage(uninitializedByteCount: total) { out in
                guard total > 0, let target = out.baseAddress else { return }
                Parallel.forEach(count: (total + grain - 1) / grain, grain: 1, threads: threads) { chunks in
                    var position = chunks.lowerBound * grain
                    let end = min(total, chunks.upperBound * grain)
                    // The part holding `position`: found by bisection where a chunk starts, then
                    // advanced in step (a Loop's stacked scan output joins a million parts).
                    var k = 0, above = parts.count
                    while above - k > 1 {
                        let middle = (k + above) / 2
                        if starts[middle] <= position % rowBytes { k = middle } else { above = middle }
                    }
                    while position < end {
                        let (row, column) = position.quotientAndRemainder(dividingBy: rowBytes)
                        if column == 0 { k = 0 }
                        while column >= starts[k + 1] { k += 1 }
                        let offset = column - starts[k], length = min(end - position, sizes[k] - offset)
                        (target + position).copyMemory(from: parts[k].storage.bytes.baseAddress! + row * sizes[k] + offset, byteCount: length)
                        position += length
                    }
                }
            }
            return Tensor(dataType: first.dataType, shape: shape, storage: storage)
        }
    }
}

extension Ops.Concat: Quantizable {
    /// Quantized as concatenation: joins activations that may have different ranges.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.concatenation, activationInputs: Array(node.inputs.indices))
    }
}

extension Ops.Concat: ShapeInferable {
    /// The inputs' common dims, with the joined axis their sum; lists joined element by element.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let parts = query.inputs.compactMap { $0 }, shapes = parts.compactMap(\.shape)
        guard let first = parts.first, parts.count == query.node.inputs.filter({ !$0.isEmpty }).count,
              shapes.count == parts.count else { return [nil] }
        let axis = try Axes.normalize(try query.node.int("axis"), rank: shapes[0].count)
        guard shapes.allSatisfy({ $0.count == shapes[0].count }) else { throw QConvertError("inputs \(shapes) differ in rank") }
        let shape = (0..<shapes[0].count).map { index -> Dim in
            let dims = shapes.map { $0[index] }
            if index == axis { return Dim.numbers(dims).flatMap(Dim.checkedSum).map { .value($0) } ?? .unknown }
            return dims.first { $0.number != nil } ?? dims.first { $0 != .unknown } ?? .unknown
        }
        let lists = parts.compactMap(\.elements)
        return [ValueFacts(first.elementType, shape, elements: lists.count == parts.count && shape.count == 1 ? lists.flatMap { $0 } : nil)]
    }
}
