import QConvertIR

/// For each activation, the point below which every op reading it gives the same result, so
/// nothing below it needs a place on the value's quantization grid:
///     HardSwish(x) = 0 for x <= -3;  Relu(x) = 0 for x <= 0;  Clip(x, m, M) = m for x <= m;
///     HardSigmoid(x) = 0 for alpha x + beta <= 0 (alpha > 0), that is x <= -beta / alpha;
///     Add(x, c) (c constant) gives the same result for x <= F - max(c) when its output's floor is F,
///     Sub(x, c) for x <= F + min(c): PP-LCNetV3's shift between a Conv and its HardSwish;
///     Mul(x, HardSigmoid(x)) = 0 where that HardSigmoid is: HardSwish written out.
/// A value read by any other op, or that is a graph output, has none.
///
/// Why: a Conv's output before a HardSwish reaches -15 and below (ppocrv4_det), and a grid covering
/// it spends most of its 256 levels on values the HardSwish maps to 0; a grid starting at -3 is up
/// to 1.9x finer there at no cost, as long as its lowest level is at or below the floor (values
/// under it are clipped to that level, where the readers still give their constant).
public enum ReaderFloor {
    /// Every value of `graph` (not its subgraphs) that has a floor, with it.
    public static func all(in graph: Graph) -> [String: Float] {
        let consumers = graph.consumers(), producers = graph.producers()
        var memo: [String: Float?] = [:]
        func floor(_ value: String, depth: Int) -> Float? {
            if let known = memo[value] { return known }
            guard depth < 8, !graph.isOutput(value), let readers = consumers[value], !readers.isEmpty else { return nil }
            var lowest = Float.infinity
            for index in readers {
                guard let f = readerFloor(graph.nodes[index], reading: value, graph: graph, producers: producers,
                                          outputFloor: { floor($0, depth: depth + 1) }) else {
                    memo[value] = .some(nil)
                    return nil
                }
                lowest = min(lowest, f)
            }
            let result: Float? = lowest.isFinite ? lowest : nil
            memo[value] = .some(result)
            return result
        }
        var result: [String: Float] = [:]
        for node in graph.nodes {
            for value in node.outputs where !value.isEmpty {
                if let f = floor(value, depth: 0) { result[value] = f }
            }
        }
        for input in graph.inputs {
            if let f = floor(input.name, depth: 0) { result[input.name] = f }
        }
        return result
    }

    /// The floor `node` puts on its input `value`, or nil when it has none. `outputFloor` gives the
    /// floor of the node's output, for the ops that shift it.
    static func readerFloor(_ node: Node, reading value: String, graph: Graph, producers: [String: Int],
                            outputFloor: (String) -> Float?) -> Float? {
        guard node.domain.isEmpty || node.domain == "ai.onnx", node.subgraphs.isEmpty else { return nil }
        if node.opType == "Mul", node.inputs.count == 2, node.inputs.filter({ $0 == value }).count == 1 {
            let gate = node.inputs[node.inputs[0] == value ? 1 : 0]
            guard let p = producers[gate], graph.nodes[p].opType == "HardSigmoid", graph.nodes[p].inputs.first == value else { return nil }
            return readerFloor(graph.nodes[p], reading: value, graph: graph, producers: producers, outputFloor: outputFloor)
        }
        guard node.inputs.first == value, !node.inputs.dropFirst().contains(value) else { return nil }
        func constant(_ k: Int) -> [Float]? {
            guard node.inputs.count > k, let tensor = graph.initializers[node.inputs[k]], tensor.dataType == .float,
                  let values = tensor.floats(), !values.isEmpty, values.allSatisfy(\.isFinite) else { return nil }
            return values
        }
        switch node.opType {
        case "HardSwish": return -3
        case "Relu": return 0
        case "Clip":
            if node.inputs.count > 1, !node.inputs[1].isEmpty { return constant(1).flatMap { $0.count == 1 ? $0[0] : nil } }
            guard let min = try? node.float("min", default: .nan), min.isFinite else { return nil }
            return min
        case "HardSigmoid":
            guard let alpha = try? node.float("alpha", default: 0.2), let beta = try? node.float("beta", default: 0.5), alpha > 0 else { return nil }
            return -beta / alpha
        case "Add", "Sub":
            guard node.inputs.count == 2, let shift = constant(1), let f = outputFloor(node.outputs[0]) else { return nil }
            return node.opType == "Add" ? f - shift.max()! : f + shift.min()!
        default: return nil
        }
    }
}
