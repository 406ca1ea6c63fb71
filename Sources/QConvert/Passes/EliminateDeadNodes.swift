import QConvertIR

/// Removes nodes none of whose outputs reach a graph output, then initializers and value_info entries
/// nothing reads.
///
/// Why: folding leaves the old weights and Constant nodes behind; they would be written to the
/// output file and counted as parameters.
///     Given:  a = Relu(x); b = Sigmoid(x); return a
///     Result: a = Relu(x); return a
public struct EliminateDeadNodes: Pass {
    public let name = "eliminate-dead-nodes"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        let producers = graph.producers()
        var live = Set<Int>()
        var pending = graph.outputs.map(\.name)
        var seen = Set<String>()
        while let value = pending.popLast() {
            guard seen.insert(value).inserted, let producer = producers[value], live.insert(producer).inserted else { continue }
            let node = graph.nodes[producer]
            pending.append(contentsOf: node.inputs.filter { !$0.isEmpty })
            for sub in node.subgraphs { pending.append(contentsOf: sub.outerScopeReads()) }
        }
        let nodesBefore = graph.nodes.count
        graph.nodes = graph.nodes.enumerated().filter { live.contains($0.offset) }.map(\.element)
        let read = Set(graph.nodes.flatMap { node in node.inputs + node.subgraphs.flatMap { $0.outerScopeReads() } })
            .union(graph.outputs.map(\.name))
        let declaredInputs = Set(graph.inputs.map(\.name))
        let initializersBefore = graph.initializers.count
        graph.initializers = graph.initializers.filter { read.contains($0.key) || declaredInputs.contains($0.key) }
        let produced = Set(graph.nodes.flatMap(\.outputs))
        graph.valueInfo = graph.valueInfo.filter { produced.contains($0.key) || read.contains($0.key) }
        model.graph = graph
        let nodes = nodesBefore - graph.nodes.count
        let initializers = initializersBefore - graph.initializers.count
        guard nodes + initializers > 0 else { return .unchanged }
        return PassReport(changes: nodes + initializers, summary: "\(nodes) nodes and \(initializers) initializers removed")
    }
}
