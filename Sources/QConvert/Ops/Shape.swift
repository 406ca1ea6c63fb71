import QConvertIR

extension Ops {
    /// Shape: the input's dims as a 1-D int64 tensor; from opset 15, only dims start..<end (negative
    /// values count from the end; both are clamped to [0, rank]).
    enum Shape: Operator {
        static let type = "Shape"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let start = try node.int("start", default: 0)
            let end = try node.int("end", default: Int.max)
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "data")
                return [Tensor(scalars: x.shape[axes(start: start, end: end, rank: x.rank)].map { Int64($0) })]
            }
        }

        /// The dims start..<end selects, clamped as above.
        static func axes(start: Int, end: Int, rank: Int) -> Swift.Range<Int> {
            func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + rank : value, 0), rank) }
            return clamp(start)..<max(clamp(start), clamp(end))
        }
    }
}

extension Ops.Shape: ShapeInferable {
    /// The input's dims start..<end as a 1-D int64 list, symbolic ones included.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0) else { return [nil] }
        let start = try query.node.int("start", default: 0), end = try query.node.int("end", default: Int.max)
        return [.list(Array(x[axes(start: start, end: end, rank: x.count)]))]
    }
}
