import QConvertIR

extension Ops {
    /// If: runs `then_branch` when the one-element bool condition is true, else `else_branch`, and
    /// returns that branch's outputs. Both branches are compiled once, here; they may read any value
    /// of the enclosing graphs, which the interpreter passes in the run context's scope.
    enum If: Operator {
        static let type = "If"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let thenBranch = try context.compileSubgraph(node.graph("then_branch"), outerScope: [])
            let elseBranch = try context.compileSubgraph(node.graph("else_branch"), outerScope: [])
            return Kernel { inputs, context in
                let condition = try inputs.required(0, "cond")
                guard condition.dataType == .bool, condition.count == 1 else {
                    throw QConvertError("cond must be a single bool, got \(condition.dataType) of shape \(condition.shape)")
                }
                let branch = condition.scalars(of: UInt8.self)[0] != 0 ? thenBranch : elseBranch
                let results = try branch.run([:], context: context)
                return branch.outputNames.map { results[$0]! }
            }
        }
    }
}
