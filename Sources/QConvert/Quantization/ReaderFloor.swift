import QConvertIR

/// For each activation, the point below which every op reading it gives the same result, so
/// nothing below it needs a place on the value's quantization grid:
///     HardSwish(x) = 0 for x <= -3;  Relu(x) = 0 for x <= 0;  Clip(x, m, M) = m for x <= m;
///     HardSigmoid(x) = 0 for alpha x + beta <= 0 (alpha > 0), that is x <= -beta / alpha;
///     Mul(x, HardSigmoid(x)) = 0 where that HardSigmoid is (HardSwish written out);
///     Add(x, c) or Add(c, x) (c constant) gives the same result for x <= F - max(c) when its output's
///     floor is F, Sub(x, c) for x <= F + min(c): PP-LCNetV3's shift between a Conv and its HardSwish.
/// A value read by any other op (a subgraph's reads count as its owner's), or that is a graph
/// output, has none.
///
/// Why: a Conv's output before a HardSwish reaches -15 and below (ppocrv4_det), and a grid covering
/// it spends most of its 256 levels on values the HardSwish maps to 0; a grid starting at -3 is up
/// to 1.9x finer there at no cost, as long as its lowest level is at or below the floor (values
/// under it are clipped to that level, where the readers still give their constant).
public enum ReaderFloor {
    /// Longest chain of shifts followed before giving up (a floor is then not known, which is safe).
    static let depthLimit = 8

    /// Every value of `graph` (not its subgraphs) that has a floor, with it.
    public static func all(in graph: Graph) -> [String: Float] {
        let consumers = graph.consumers(), producers = graph.producers(), constants = graph.constantTensors()
        var memo: [String: Float?] = [:]
        /// The floor of `value`, and whether the depth limit cut the search short (then not memoised:
        /// reached at a lower depth, the same value may have one).
        func floor(_ value: String, depth: Int) -> (Float?, truncated: Bool) {
            if let known = memo[value] { return (known, false) }
            guard depth < depthLimit else { return (nil, true) }
            var lowest = Float.infinity, truncated = false, known = !graph.isOutput(value) && !(consumers[value] ?? []).isEmpty
            for index in consumers[value] ?? [] where known {
                let f = readerFloor(graph.nodes[index], reading: value, graph: graph, constants: constants, producers: producers) { output in
                    let (f, cut) = floor(output, depth: depth + 1)
                    truncated = truncated || cut
                    return f
                }
                if let f { lowest = min(lowest, f) } else { known = false }
            }
            let result: Float? = known && lowest.isFinite ? lowest : nil
            if !truncated { memo[value] = .some(result) }
            return (result, truncated)
        }
        var result: [String: Float] = [:]
        for value in graph.inputs.map(\.name) + graph.nodes.flatMap(\.outputs) where !value.isEmpty {
            if let f = floor(value, depth: 0).0 { result[value] = f }
        }
        return result
    }

    /// The floor `node` puts on its input `value`, or nil when it has none. `outputFloor` gives the
    /// floor of the node's output, for the ops that shift it.
    static func readerFloor(_ node: Node, reading value: String, graph: Graph, constants: [String: Tensor], producers: [String: Int],
                            outputFloor: (String) -> Float?) -> Float? {
        guard node.isDefaultDomain, node.subgraphs.isEmpty else { return nil }
        let at = node.inputs.indices.filter { node.inputs[$0] == value }
        guard at.count == 1, let k = at.first else { return nil }
        /// The other input of a two-input node, when it is a finite float constant.
        func otherConstant() -> [Float]? {
            guard node.inputs.count == 2, let tensor = constants[node.inputs[1 - k]], tensor.dataType == .float,
                  let values = tensor.floats(), !values.isEmpty, values.allSatisfy(\.isFinite) else { return nil }
            return values
        }
        switch node.opType {
        case "HardSwish": return -3
        case "Relu": return 0
        case "Clip":
            guard k == 0, let (lower, _) = Ops.Clip.constantBounds(node, constant: { constants[$0] }), lower.isFinite else { return nil }
            return lower
        case "HardSigmoid":
            guard let (alpha, beta) = try? Ops.HardSigmoid.coefficients(node), alpha > 0 else { return nil }
            return -beta / alpha
        case "Mul":
            guard node.inputs.count == 2, let p = producers[node.inputs[1 - k]], graph.nodes[p].opType == "HardSigmoid",
                  graph.nodes[p].inputs.first == value else { return nil }
            return readerFloor(graph.nodes[p], reading: value, graph: graph, constants: constants, producers: producers, outputFloor: outputFloor)
        case "Add":
            guard let shift = otherConstant(), let f = outputFloor(node.outputs[0]) else { return nil }
            return f - shift.max()!
        case "Sub":
            guard k == 0, let shift = otherConstant(), let f = outputFloor(node.outputs[0]) else { return nil }
            return f + shift.min()!
        default: return nil
        }
    }
}
