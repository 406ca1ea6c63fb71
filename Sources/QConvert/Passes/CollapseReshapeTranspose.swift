import QConvertIR

/// Removes Reshape and Transpose nodes that undo or repeat each other.
///
/// Why: exporters emit reshape/transpose round trips around attention and detection heads; each is a
/// copy at run time and, once quantized, a pair of Q/DQ nodes that fixes nothing.
///     Given:  t = Transpose(x) {perm p}; y = Transpose(t) {perm q}    (t read only here)
///     Result: y = Transpose(x) {perm p[q[i]]}, or y = x when that is the identity
///     Given:  r = Reshape(x, s1); y = Reshape(r, s2)    (r read only here, s2 constant without 0)
///     Result: y = Reshape(x, s2)
///     Given:  y = Reshape(x, s) with x's static shape already equal to s
///     Result: y = x
/// An identity whose output is a graph output is kept (output names must not change).
public struct CollapseReshapeTranspose: Pass {
    public let name = "collapse-reshape-transpose"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var changes = 0
        var changed = true
        while changed {
            changed = false
            let producers = graph.producers(), consumers = graph.consumers()
            for index in graph.nodes.indices {
                let node = graph.nodes[index]
                guard node.isDefaultDomain, let input = node.inputs.first, let output = node.outputs.first else { continue }
                if node.opType == "Transpose", let p = producers[input], graph.nodes[p].opType == "Transpose",
                   graph.nodes[p].isDefaultDomain, consumers[input]?.count == 1, !graph.isOutput(input),
                   let inner = try graph.nodes[p].ints("perm"), let outer = try node.ints("perm"), inner.count == outer.count,
                   Self.isPermutation(inner), Self.isPermutation(outer), let source = graph.nodes[p].inputs.first {
                    let composed = outer.map { inner[$0] }
                    if composed == Array(0..<composed.count) && !graph.isOutput(output) {
                        graph.replaceUses(of: output, with: source)
                        graph.nodes.remove(at: max(index, p))
                        graph.nodes.remove(at: min(index, p))
                    } else {
                        graph.nodes[index].inputs[0] = source
                        graph.nodes[index].setAttribute("perm", .ints(composed.map { Int64($0) }))
                        graph.nodes.remove(at: p)
                    }
                    changed = true
                } else if node.opType == "Reshape", node.inputs.count >= 2, let shape = graph.initializers[node.inputs[1]]?.integers() {
                    if let p = producers[input], graph.nodes[p].opType == "Reshape", graph.nodes[p].isDefaultDomain,
                       consumers[input]?.count == 1, !graph.isOutput(input), !shape.contains(0), let source = graph.nodes[p].inputs.first {
                        graph.nodes[index].inputs[0] = source
                        graph.nodes.remove(at: p)
                        changed = true
                    } else if let current = graph.declaredType(of: input)?.staticShape, current.map(Int64.init) == shape,
                              !graph.isOutput(output) {
                        graph.replaceUses(of: output, with: input)
                        graph.nodes.remove(at: index)
                        changed = true
                    }
                }
                if changed {
                    changes += 1
                    break
                }
            }
        }
        model.graph = graph
        return changes == 0 ? .unchanged : PassReport(changes: changes, summary: "\(changes) Reshape/Transpose removed or merged")
    }

    /// Whether `perm` holds each of 0..<count once (a malformed one is left for the kernel to refuse).
    static func isPermutation(_ perm: [Int]) -> Bool {
        perm.sorted() == Array(0..<perm.count)
    }
}
