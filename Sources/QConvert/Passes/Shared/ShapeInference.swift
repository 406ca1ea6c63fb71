import QConvertIR

/// The facts (type, shape, short integer lists) of every value of a model's main graph, found by
/// running each op's `ShapeInferable` rule in topological order: what `InferShapes` records.
public struct ShapeInference {
    /// By value name; a value missing here is unknown.
    public private(set) var facts: [String: ValueFacts] = [:]
    /// Op types (in the default domain or not) that have no shape rule.
    public private(set) var unsupported: Set<String> = []
    /// Nodes whose rule found their inputs inconsistent (a MatMul of [1, 4] by [5, 4]), in graph
    /// order, as "node 'mm' (MatMul): ...". Their outputs are left unknown.
    public private(set) var conflicts: [String] = []

    public init(_ model: Model) throws {
        let graph = model.graph
        let opsets = model.opsetVersions
        let constants = graph.constantTensors()
        for (name, tensor) in constants { facts[name] = ValueFacts(tensor) }
        for input in graph.inputs where constants[input.name] == nil {
            guard let type = input.tensorType else { continue }
            // An input's unknown dim is one size per run: named, it flows like any symbolic dim.
            let shape = type.shape?.enumerated().map { axis, dim in
                Self.normalized(dim) == .unknown ? .param("\(input.name)_dim\(axis)") : dim
            }
            facts[input.name] = ValueFacts(type.elementType, shape)
        }
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let domain = Model.canonicalDomain(node.domain)
            let context = CompileContext(opsetVersion: opsets[domain] ?? opsets[""] ?? 1, opsets: opsets, constants: constants,
                                         outerScope: [], requantization: .float)
            let inferred = infer(node, domain: domain, constants: constants, context: context)
            for (position, output) in node.outputs.enumerated() where !output.isEmpty && constants[output] == nil {
                let declared = graph.declaredType(of: output).map { ValueFacts($0.elementType, $0.shape.map { $0.map(Self.normalized) }) }
                facts[output] = Self.merged(position < inferred.count ? inferred[position] : nil, declared)
            }
        }
    }

    /// The outputs' facts by the node's rule; none when it has no rule or finds its inputs inconsistent.
    private mutating func infer(_ node: Node, domain: String, constants: [String: Tensor], context: CompileContext) -> [ValueFacts?] {
        guard let op = OpRegistry.lookup(type: node.opType, domain: domain) as? any ShapeInferable.Type else {
            unsupported.insert(node.opType)
            return []
        }
        let query = ShapeQuery(node: node, inputs: node.inputs.map { $0.isEmpty ? nil : facts[$0] },
                               constants: node.inputs.map { constants[$0] }, context: context)
        do {
            return try op.inferOutputs(query)
        } catch {
            conflicts.append("node '\(node.displayName)' (\(node.opType)): \((error as? QConvertError)?.description ?? "\(error)")")
            return []
        }
    }

    /// A declared dim as inference treats it: a negative size (some exporters write -1) and Paddle's
    /// "?" (written for every unknown dim, so two of them need not be equal) are unknown.
    static func normalized(_ dim: Dim) -> Dim {
        switch dim {
        case .value(let v) where v < 0: .unknown
        case .param(let name) where name == "?" || name.isEmpty: .unknown
        default: dim
        }
    }

    /// Inferred facts completed by what the file declares: per dim, a number beats a name beats unknown,
    /// and the file's name beats one inference carried (it may be more telling: yolov8's height
    /// formulas). On a rank conflict the declaration wins: the runtime that accepted the file agrees with it.
    static func merged(_ inferred: ValueFacts?, _ declared: ValueFacts?) -> ValueFacts? {
        guard let inferred else { return declared }
        guard let declared else { return inferred }
        var result = inferred
        if result.elementType == .undefined { result.elementType = declared.elementType }
        guard let own = inferred.shape, let theirs = declared.shape, own.count == theirs.count else {
            if inferred.shape?.count != declared.shape?.count, declared.shape != nil { result.shape = declared.shape }
            return result
        }
        result.shape = zip(own, theirs).map { mine, file in
            if mine.number != nil { return mine }
            return file == .unknown ? mine : file
        }
        return result
    }
}
