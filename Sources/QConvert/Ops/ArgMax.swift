import QConvertIR

extension Ops {
    /// ArgMax: the int64 index of the largest element along `axis`; see `ArgReduction` for ties and
    /// keepdims.
    enum ArgMax: Operator {
        static let type = "ArgMax"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try ArgReduction.kernel(node, context) { $0 > $1 }
        }
    }
}

extension Ops.ArgMax: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try ArgReduction.inferOutputs(query) }
}
