import QConvertIR

extension Ops {
    /// Slice: along each listed axis, takes elements start, start + step, ... while before end.
    /// Negative starts/ends count from the end of the axis; they are then clamped to [0, dim] for a
    /// positive step and to [-1, dim - 1] (start: [0, dim - 1]) for a negative one, so out-of-range
    /// bounds such as INT64_MAX are allowed. Opset 1 takes starts/ends/axes as attributes; from opset
    /// 10 they and steps are inputs. Any fixed-width type.
    enum Slice: Operator {
        static let type = "Slice"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let starts = try IntListArgument(node, context, name: "starts", input: 1, inputSince: 10)
            let ends = try IntListArgument(node, context, name: "ends", input: 2, inputSince: 10)
            let axes = try IntListArgument(node, context, name: "axes", input: 3, inputSince: 10)
            let steps = IntListArgument.input(4)
            let attributeSteps = context.opsetVersion < 10
            return Kernel { inputs, context in
                let x = try inputs.required(0, "data")
                guard let starts = try starts.value(inputs, name: "starts"), let ends = try ends.value(inputs, name: "ends") else {
                    throw QConvertError("starts and ends are required")
                }
                let axes = try axes.value(inputs, name: "axes") ?? Array(0..<starts.count)
                let steps = attributeSteps ? nil : try steps.value(inputs, name: "steps")
                let stepList = steps ?? [Int](repeating: 1, count: starts.count)
                guard ends.count == starts.count, axes.count == starts.count, stepList.count == starts.count else {
                    let lengths = [starts, ends, axes, stepList].map { String($0.count) }.joined(separator: ", ")
                    throw QConvertError("starts, ends, axes and steps must have the same length, got \(lengths)")
                }
                let normalized = try axes.map { try Axes.normalize($0, rank: x.rank) }
                guard Set(normalized).count == normalized.count else { throw QConvertError("axes \(axes) has a repeated axis") }

                var shape = x.shape
                var strides = StridedCopy.contiguousStrides(x.shape)
                var offset = 0
                for (i, axis) in normalized.enumerated() {
                    let (start, count) = try bounds(start: starts[i], end: ends[i], step: stepList[i], dim: x.shape[axis])
                    offset += start * strides[axis]
                    // With one element the stride is never used (and a huge step could overflow it).
                    strides[axis] = count > 1 ? strides[axis] * stepList[i] : 0
                    shape[axis] = count
                }
                if shape == x.shape && offset == 0 && stepList.allSatisfy({ $0 == 1 }) { return [x] }
                return [try StridedCopy.copy(x, shape: shape, strides: strides, offset: offset, threads: context.threads)]
            }
        }

        /// The first index and the element count of slicing a dim of size `dim`.
        static func bounds(start: Int, end: Int, step: Int, dim: Int) throws -> (start: Int, count: Int) {
            guard step != 0 else { throw QConvertError("steps must not be 0") }
            var start = start < 0 ? start + dim : start
            var end = end < 0 ? end + dim : end
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                return (start, end > start ? 1 + (end - start - 1) / step : 0)
            }
            start = min(max(start, 0), dim - 1)
            end = min(max(end, -1), dim - 1)
            return (start, start > end ? 1 + (start - end - 1) / Int(clamping: step.magnitude) : 0)
        }
    }
}

extension Ops.Slice: Quantizable {
    /// Quantized as passThrough: selects values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Slice: ShapeInferable {
    /// Each sliced axis sized by `bounds`; a symbolic axis stays whole only when sliced from 0 to the
    /// end with step 1. A sliced list keeps its elements.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        let steps: [Int]?? = query.context.opsetVersion < 10 ? .some(nil) : try query.list("steps", input: 4, inputSince: 10)
        guard let starts = try query.list("starts", input: 1, inputSince: 10), let ends = try query.list("ends", input: 2, inputSince: 10),
              let axes = try query.list("axes", input: 3, inputSince: 10), let steps, let starts, let ends else {
            return [ValueFacts(type, x.map { _ in .unknown })]
        }
        let stepList = steps ?? Array(repeating: 1, count: starts.count)
        let axisList = try (axes ?? Array(0..<starts.count)).map { try Axes.normalize($0, rank: x.count) }
        guard ends.count == starts.count, axisList.count == starts.count, stepList.count == starts.count else {
            throw QConvertError("starts, ends, axes and steps must have the same length")
        }
        var shape = x
        var elements = query.elements(0)
        for (i, axis) in axisList.enumerated() {
            let whole = starts[i] == 0 && ends[i] >= Int32.max && stepList[i] == 1
            shape[axis] = try x[axis].mapped(unitStep: whole) { try bounds(start: starts[i], end: ends[i], step: stepList[i], dim: $0).count }
            if let list = elements, x.count == 1 {
                let (start, count) = try bounds(start: starts[i], end: ends[i], step: stepList[i], dim: list.count)
                elements = (0..<count).map { list[start + $0 * stepList[i]] }
            }
        }
        return [ValueFacts(type, shape, elements: elements)]
    }
}
