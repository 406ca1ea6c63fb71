import QConvertIR

/// What sits inside If/Loop/Scan bodies, which qconvert does not quantize (it plans the main graph
/// only): said in the summary, so a model whose weights live in a branch (silero-vad keeps its
/// Conv and LSTM layers inside an If) is not reported as quantized while nothing changed.
public struct SubgraphContent: Codable, Sendable, Equatable {
    /// Main-graph nodes holding subgraphs, by op type.
    public var owners: [String: Int] = [:]
    /// Nodes inside them, nested bodies included.
    public var nodes = 0
    /// Float constant elements inside them (initializers and Constant nodes): the weights left float.
    public var floatWeights = 0

    public init(_ graph: Graph) {
        for node in graph.nodes where !node.subgraphs.isEmpty {
            owners[node.opType, default: 0] += 1
            for body in node.subgraphs { count(body) }
        }
    }

    private mutating func count(_ graph: Graph) {
        nodes += graph.nodes.count
        let constants = graph.initializers.values + graph.nodes.flatMap { node in
            node.opType == "Constant" ? node.attributes.compactMap { if case .tensor(let t) = $0.value { t } else { nil } } : []
        }
        floatWeights += constants.filter { [.float, .float16, .bfloat16, .double].contains($0.dataType) }.reduce(0) { $0 + $1.count }
        for node in graph.nodes { for body in node.subgraphs { count(body) } }
    }
}
