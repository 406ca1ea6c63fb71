/// Structural checks every graph passes before anything runs on it, so later code may assume a
/// well-formed graph and a malformed file fails early with a message naming the node and value.
extension Graph {
    /// Checks that each value is defined once, every read value is defined (here or in `outerScope`),
    /// every graph output is produced, and the nodes can be ordered (no cycle). Recurses into subgraphs.
    public func validate(outerScope: Set<String> = []) throws {
        // Who defines each value: a node's index, or one of the two markers below. Indices rather
        // than descriptions, which are only built for an error (a string per value cost a third of
        // reading ppocrv4_rec).
        let graphInput = -1, initializer = -2
        var definedBy: [String: Int] = [:]
        definedBy.reserveCapacity(inputs.count + initializers.count + nodes.count)
        for input in inputs {
            guard definedBy.updateValue(graphInput, forKey: input.name) == nil else {
                throw QConvertError("graph input '\(input.name)' is listed twice")
            }
        }
        for name in initializers.keys where definedBy[name] == nil {
            definedBy[name] = initializer
        }
        for (index, node) in nodes.enumerated() {
            for output in node.outputs where !output.isEmpty {
                if let previous = definedBy.updateValue(index, forKey: output) {
                    let first = previous == graphInput ? "graph input" : previous == initializer ? "initializer" : "node '\(nodes[previous].displayName)'"
                    throw QConvertError("value '\(output)' is defined twice (by \(first) and by node '\(node.displayName)')")
                }
            }
        }
        func isVisible(_ name: String) -> Bool { definedBy[name] != nil || outerScope.contains(name) }
        for node in nodes {
            for input in node.inputs where !input.isEmpty && !isVisible(input) {
                throw QConvertError("node '\(node.displayName)' (\(node.opType)) reads '\(input)', which no node, graph input or initializer defines")
            }
            guard !node.subgraphs.isEmpty else { continue }
            let visible = outerScope.union(definedBy.keys)
            for sub in node.subgraphs {
                do {
                    try sub.validate(outerScope: visible)
                } catch let error as QConvertError {
                    throw error.context("in a subgraph of node '\(node.displayName)'")
                }
            }
        }
        for output in outputs where !isVisible(output.name) {
            throw QConvertError("graph output '\(output.name)' is not produced by any node, input or initializer")
        }
        _ = try topologicalOrder()
    }

    /// Node indices in an order where every node comes after the producers of what it reads
    /// (including reads from inside its subgraphs). Keeps file order where it already is valid.
    public func topologicalOrder() throws -> [Int] {
        let producers = producers()
        var dependents = Array(repeating: [Int](), count: nodes.count)
        var pending = Array(repeating: 0, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            var reads = Set(node.inputs.filter { !$0.isEmpty })
            for sub in node.subgraphs {
                reads.formUnion(sub.outerScopeReads())
            }
            for name in reads {
                guard let producer = producers[name] else { continue }
                if producer == index {
                    throw QConvertError("node '\(node.displayName)' (\(node.opType)) reads its own output '\(name)'")
                }
                dependents[producer].append(index)
                pending[index] += 1
            }
        }
        // Kahn's algorithm with a min-heap on the index, so an already sorted graph keeps its order.
        var ready = MinHeap(pending.indices.filter { pending[$0] == 0 })
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while let next = ready.pop() {
            order.append(next)
            for dependent in dependents[next] {
                pending[dependent] -= 1
                if pending[dependent] == 0 {
                    ready.push(dependent)
                }
            }
        }
        if order.count < nodes.count, let stuck = pending.indices.first(where: { pending[$0] > 0 }) {
            throw QConvertError("the graph has a cycle through node '\(nodes[stuck].displayName)' (\(nodes[stuck].opType))")
        }
        return order
    }
}

/// A binary min-heap of Ints: just enough for a stable topological sort.
private struct MinHeap {
    private var items: [Int] = []

    init(_ values: [Int]) {
        for value in values {
            push(value)
        }
    }

    mutating func push(_ value: Int) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left] < items[smallest] { smallest = left }
                if right < items.count && items[right] < items[smallest] { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}
