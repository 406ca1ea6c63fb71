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
                func clamp(_ value: Int) -> Int { min(max(value < 0 ? value + x.rank : value, 0), x.rank) }
                let dims = x.shape[clamp(start)..<max(clamp(start), clamp(end))]
                return [Tensor(scalars: dims.map { Int64($0) })]
            }
        }
    }
}
