import QConvertIR

extension Ops {
    /// ArgMin: the int64 index of the smallest element along `axis`; see `ArgReduction` for ties and
    /// keepdims.
    enum ArgMin: Operator {
        static let type = "ArgMin"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try ArgReduction.kernel(node, context) { $0 < $1 }
        }
    }
}

extension Ops.ArgMin: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try ArgReduction.inferOutputs(query) }
}
