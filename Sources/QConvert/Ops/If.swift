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

extension Ops.If: ShapeInferable {
    /// Each output as both branches' outputs declare it: their common element type and rank, each dim
    /// kept where the two agree and unknown where they differ. Unknown when the branches declare no
    /// type, or types or ranks that differ.
    ///
    /// Why the declarations, not inference inside the branches: which branch runs is decided at run
    /// time, and exporters declare branch outputs; a branch that declares nothing leaves its If unknown.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let then = try query.node.graph("then_branch").outputs, otherwise = try query.node.graph("else_branch").outputs
        guard then.count == otherwise.count else {
            throw QConvertError("then_branch has \(then.count) outputs, else_branch \(otherwise.count)")
        }
        return zip(then, otherwise).map { a, b in
            guard let a = a.tensorType, let b = b.tensorType, a.elementType == b.elementType, a.elementType != .undefined,
                  let dims = a.shape?.map(ShapeInference.normalized), let others = b.shape?.map(ShapeInference.normalized),
                  dims.count == others.count else { return nil }
            return ValueFacts(a.elementType, zip(dims, others).map { $0 == $1 ? $0 : .unknown })
        }
    }
}
