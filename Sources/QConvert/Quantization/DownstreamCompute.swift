import QConvertIR

/// Whether a value flows, through any chain of ops, into a quantized compute node's input: the test
/// for whether quantizing that value buys an int8 path (it does not after the last compute layers).
struct DownstreamCompute {
    let graph: Graph
    let consumers: [String: [Int]]
    let computeNodes: Set<Int>
    init(graph: Graph, consumers: [String: [Int]], computeNodes: Set<Int>) {
        self.graph = graph
        self.consumers = consumers
        self.computeNodes = computeNodes
    }

    /// True if some quantized compute node reads `value` or a value computed from it.
    func reaches(_ value: String) -> Bool {
        var seen = Set<String>()
        var pending = [value]
        while let current = pending.popLast() {
            guard seen.insert(current).inserted else { continue }
            for reader in consumers[current] ?? [] {
                if computeNodes.contains(reader) { return true }
                pending.append(contentsOf: graph.nodes[reader].outputs.filter { !$0.isEmpty })
            }
        }
        return false
    }
}
