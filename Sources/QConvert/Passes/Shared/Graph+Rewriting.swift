import QConvertIR

/// Small graph edits every pass needs: renaming a value's uses, fresh names, and who reads what.
extension Graph {
    /// Makes every reader of `old` read `new` instead, including reads from inside subgraphs that do
    /// not define `old` themselves. Graph outputs are not touched: renaming them would change the
    /// model's interface, so callers decide what to do when `old` is an output.
    public mutating func replaceUses(of old: String, with new: String) {
        for index in nodes.indices {
            for k in nodes[index].inputs.indices where nodes[index].inputs[k] == old {
                nodes[index].inputs[k] = new
            }
            nodes[index].updateSubgraphs { $0.replaceOuterUses(of: old, with: new) }
        }
    }

    /// Makes the node producing `old` produce `new` instead, and drops `old`'s value_info (its facts
    /// were the old value's). Readers are left alone: `replaceUses` renames them.
    public mutating func renameProduced(_ old: String, to new: String) {
        for index in nodes.indices {
            for o in nodes[index].outputs.indices where nodes[index].outputs[o] == old { nodes[index].outputs[o] = new }
        }
        valueInfo.removeValue(forKey: old)
    }

    /// `replaceUses` inside a subgraph, unless the subgraph defines `old` itself (then it shadows).
    mutating func replaceOuterUses(of old: String, with new: String) {
        let defines = inputs.contains { $0.name == old } || initializers[old] != nil || nodes.contains { $0.outputs.contains(old) }
        guard !defines else { return }
        replaceUses(of: old, with: new)
        for k in outputs.indices where outputs[k].name == old {
            outputs[k].name = new
        }
    }

    /// Whether node `p` is the only reader of initializer `name`, at one input only (`name` being
    /// neither a graph input nor an output), so a pass rewriting that constant for `p` may replace
    /// it under its own name.
    /// Why: a BatchNorm-folded `conv1.weight` stays `conv1.weight`, the name the user knows, rather
    /// than growing a suffix per pass (on ppocr_cls those suffixes were 0.7% of the int8 file).
    public func isPrivateConstant(_ name: String, of p: Int, consumers: [String: [Int]]) -> Bool {
        initializers[name] != nil && consumers[name] == [p]
            && !isOutput(name) && !inputs.contains { $0.name == name }
    }

    /// Whether `name` is one of the graph's outputs.
    public func isOutput(_ name: String) -> Bool {
        outputs.contains { $0.name == name }
    }

    /// Every value, node and initializer name in this graph and its subgraphs.
    public func allNames() -> Set<String> {
        var names = Set<String>()
        forEachGraph { g in
            names.formUnion(g.inputs.map(\.name))
            names.formUnion(g.outputs.map(\.name))
            names.formUnion(g.initializers.keys)
            for node in g.nodes {
                names.formUnion(node.outputs)
                names.insert(node.name)
            }
        }
        return names
    }
}

extension Node {
    /// Rewrites every subgraph in this node's attributes (If branches, Loop and Scan bodies) in place.
    public mutating func updateSubgraphs(_ body: (inout Graph) throws -> Void) rethrows {
        for a in attributes.indices {
            switch attributes[a].value {
            case .graph(var g):
                try body(&g)
                attributes[a].value = .graph(g)
            case .graphs(var gs):
                for k in gs.indices { try body(&gs[k]) }
                attributes[a].value = .graphs(gs)
            default:
                continue
            }
        }
    }
}

/// Hands out names not yet used in a graph (`base`, `base_1`, `base_2`...).
public struct NameScope {
    private var used: Set<String>

    public init(_ graph: Graph) {
        used = graph.allNames()
    }

    public mutating func fresh(_ base: String) -> String {
        var candidate = base
        var counter = 0
        while used.contains(candidate) {
            counter += 1
            candidate = "\(base)_\(counter)"
        }
        used.insert(candidate)
        return candidate
    }
}
