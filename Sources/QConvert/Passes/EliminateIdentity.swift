import QConvertIR

/// Removes nodes that pass their input through unchanged: Identity, and Dropout at inference when its
/// mask output is unused.
///
/// Why: they hide patterns (Conv -> Identity -> Relu is still a Conv + Relu) and cost a copy each.
///     Given:  y = Identity(x); z = Relu(y)
///     Result: z = Relu(x)
/// When `y` is a graph output, the node producing `x` is renamed to produce `y` instead, if `x` is
/// nobody else's; otherwise the Identity stays (the model's output names must not change).
public struct EliminateIdentity: Pass {
    public let name = "eliminate-identity"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var removed = 0
        var index = 0
        while index < graph.nodes.count {
            let node = graph.nodes[index]
            guard isPassThrough(node), let input = node.inputs.first, !input.isEmpty, let output = node.outputs.first else {
                index += 1
                continue
            }
            if !graph.isOutput(output) {
                graph.replaceUses(of: output, with: input)
                graph.valueInfo.removeValue(forKey: output)
                graph.nodes.remove(at: index)
                removed += 1
                continue
            }
            // The output is a graph output: let the producer of `input` write it directly if possible.
            let consumers = graph.consumers()[input] ?? []
            if let producer = graph.producers()[input], consumers == [index], !graph.isOutput(input) {
                for k in graph.nodes[producer].outputs.indices where graph.nodes[producer].outputs[k] == input {
                    graph.nodes[producer].outputs[k] = output
                }
                graph.valueInfo.removeValue(forKey: input)
                graph.nodes.remove(at: index)
                removed += 1
                continue
            }
            index += 1
        }
        model.graph = graph
        return removed == 0 ? .unchanged : PassReport(changes: removed, summary: "\(removed) Identity/Dropout removed")
    }

    private func isPassThrough(_ node: Node) -> Bool {
        guard node.isDefaultDomain else { return false }
        switch node.opType {
        case "Identity": return node.inputs.count == 1
        case "Dropout":
            // Inference: y = x. A requested mask or training_mode input would need the real op.
            let maskUnused = node.outputs.count < 2 || node.outputs[1].isEmpty
            let noTraining = node.inputs.count < 3 || node.inputs[2].isEmpty
            return maskUnused && noTraining
        default: return false
        }
    }
}
