import OrderedCollections

/// A computation graph: nodes in topological order over named values, plus the weights they read.
///
/// A value type so a pass can take a graph, rewrite a copy and hand it back, and a test can keep the
/// before and after side by side. Subgraphs (If/Loop/Scan bodies) are Graphs inside node attributes.
public struct Graph: Sendable, Equatable {
    public var name: String
    public var nodes: [Node]
    /// Weights and other constant tensors, by name, in file order.
    public var initializers: OrderedDictionary<String, Tensor>
    public var inputs: [ValueInfo]
    public var outputs: [ValueInfo]
    /// Known types of intermediate values, by name, in file order.
    public var valueInfo: OrderedDictionary<String, ValueInfo>
    public var extras: ProtoExtras

    public init(
        name: String = "", nodes: [Node] = [], initializers: OrderedDictionary<String, Tensor> = [:],
        inputs: [ValueInfo] = [], outputs: [ValueInfo] = [], valueInfo: OrderedDictionary<String, ValueInfo> = [:],
        extras: ProtoExtras = ProtoExtras()
    ) {
        self.name = name
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
        self.valueInfo = valueInfo
        self.extras = extras
    }

    /// Graph inputs that are not also initializers: what a caller must feed. (Older models list
    /// every initializer among the inputs too, as an overridable default.)
    public var runtimeInputs: [ValueInfo] {
        inputs.filter { initializers[$0.name] == nil }
    }

    /// Index of the node producing each value.
    public func producers() -> [String: Int] {
        var map: [String: Int] = [:]
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                map[output] = index
            }
        }
        return map
    }

    /// Indices of the nodes reading each value (a node reading a value twice is listed twice).
    /// Reads from inside subgraphs count as reads by the node owning the subgraph.
    public func consumers() -> [String: [Int]] {
        var map: [String: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where !input.isEmpty {
                map[input, default: []].append(index)
            }
            let subgraphReads = node.subgraphs.reduce(into: Set<String>()) { $0.formUnion($1.outerScopeReads()) }
            for name in subgraphReads.sorted() {
                map[name, default: []].append(index)
            }
        }
        return map
    }

    /// Names this graph reads that it does not define itself: for a subgraph, the values it takes from
    /// the enclosing graph.
    public func outerScopeReads() -> Set<String> {
        var defined = Set(inputs.map(\.name)).union(initializers.keys)
        var reads = Set<String>()
        for node in nodes {
            for input in node.inputs where !input.isEmpty && !defined.contains(input) {
                reads.insert(input)
            }
            for name in node.subgraphs.flatMap({ $0.outerScopeReads() }) where !defined.contains(name) {
                reads.insert(name)
            }
            defined.formUnion(node.outputs)
        }
        for output in outputs where !defined.contains(output.name) {
            reads.insert(output.name)
        }
        return reads
    }

    /// Calls `body` on this graph and every subgraph below it, depth first.
    public func forEachGraph(_ body: (Graph) throws -> Void) rethrows {
        try body(self)
        for node in nodes {
            for sub in node.subgraphs {
                try sub.forEachGraph(body)
            }
        }
    }

    /// The declared tensor type of a value: graph input/output or value_info.
    public func declaredType(of name: String) -> TensorType? {
        if let info = valueInfo[name] { return info.tensorType }
        if let input = inputs.first(where: { $0.name == name }) { return input.tensorType }
        if let output = outputs.first(where: { $0.name == name }) { return output.tensorType }
        return nil
    }
}
