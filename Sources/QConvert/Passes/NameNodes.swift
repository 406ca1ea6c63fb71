import QConvertIR

/// Gives every node of the main graph a name no other node there has: an unnamed node takes its
/// first output's name, a repeated name gets `_2`, `_3`... (the first node keeps it).
///
/// Why: ONNX makes node names optional and does not require them unique, but quantization decisions,
/// GPTQ's rounded weights, `--exclude`, `--config` and the report address nodes by name: two nodes
/// sharing one would share, or overwrite, each other's settings (a model whose nodes were all named
/// `same` crashed GPTQ).
///     Given:  Conv "same" -> a; Relu "same" -> b; Gemm "" -> y
///     Result: Conv "same" -> a; Relu "same_2" -> b; Gemm "y" -> y
public struct NameNodes: Pass {
    public let name = "name-nodes"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var taken = Set(model.graph.nodes.map(\.name).filter { !$0.isEmpty })
        var seen = Set<String>()
        var renamed = 0
        for index in model.graph.nodes.indices {
            let node = model.graph.nodes[index]
            if !node.name.isEmpty && seen.insert(node.name).inserted { continue }
            let base = node.name.isEmpty ? (node.outputs.first { !$0.isEmpty } ?? node.opType) : node.name
            var candidate = base, suffix = 2
            while taken.contains(candidate) {
                candidate = "\(base)_\(suffix)"
                suffix += 1
            }
            taken.insert(candidate)
            seen.insert(candidate)
            model.graph.nodes[index].name = candidate
            renamed += 1
        }
        return renamed == 0 ? .unchanged : PassReport(changes: renamed, summary: "\(renamed) unnamed or repeated node names made unique")
    }
}
