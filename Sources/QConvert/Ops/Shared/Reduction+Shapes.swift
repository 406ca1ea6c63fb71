import QConvertIR

extension Reduction {
    /// A Reduce* op's output facts: the input's shape with the reduced axes set to 1 (`keepdims`) or
    /// removed, under the same axes rules as `kernel`.
    static func inferOutputs(_ query: ShapeQuery, axesInputSince: Int) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0),
              let listed = try query.list("axes", input: 1, inputSince: axesInputSince) else { return [nil] }
        let axes = listed ?? []
        let noop = try query.node.int("noop_with_empty_axes", default: 0) != 0
        if axes.isEmpty && noop { return [ValueFacts(type, x)] }
        let reduced = axes.isEmpty ? Array(0..<x.count) : try Axes.normalize(axes, rank: x.count)
        let keepDims = try query.node.int("keepdims", default: 1) != 0
        let shape = keepDims
            ? x.enumerated().map { reduced.contains($0.offset) ? .value(1) : $0.element }
            : x.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        return [ValueFacts(type, shape)]
    }
}
