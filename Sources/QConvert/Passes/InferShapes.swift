import QConvertIR

/// Records every value's element type and shape, as far as the graph inputs, weights and attributes
/// determine them, in the graph's value_info (and on graph outputs that lacked them).
///
/// Why: later passes fold more with known shapes (`FoldConstants` folds Shape of a static value),
/// runtimes plan memory from declared shapes, and a prepared model should say what it computes.
///     Given:  x: float [N, 3, 32, 32];  y = Conv(x, W: [8, 3, 3, 3], pads 1);  z = Flatten(y)
///     Result: value_info y: float [N, 8, 32, 32], z: float [N, 8192]
/// Each op's rule lives with its kernel (`ShapeInferable` in `Ops/<Op>.swift`). Symbolic dims flow by
/// name (an input dim declared unknown is named `<input>_dim<axis>`); an op without a rule, or a rule
/// that finds its inputs inconsistent, leaves its outputs unknown (the interpreter reports such errors
/// when the model runs; commands that write a model without running it refuse them first, see
/// `Preparation.refuseShapeConflicts`). If takes what its branches declare, without inferring inside them. Facts
/// already declared in the file are kept where they say more than the rules.
public struct InferShapes: Pass {
    public let name = "infer-shapes"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        let inference = try ShapeInference(model)
        var graph = model.graph
        let before = (graph.valueInfo, graph.outputs)
        var produced: Set<String> = []
        for node in graph.nodes {
            for output in node.outputs where !output.isEmpty && graph.initializers[output] == nil {
                produced.insert(output)
                guard let facts = inference.facts[output], facts.elementType != .undefined else { continue }
                var info = graph.valueInfo[output] ?? ValueInfo(name: output)
                info.type = ValueType(tensor: facts.tensorType, denotation: info.type?.denotation ?? "",
                                      unknownFields: info.type?.unknownFields ?? [])
                graph.valueInfo[output] = info
            }
        }
        for index in graph.outputs.indices {
            let output = graph.outputs[index]
            if let facts = inference.facts[output.name], facts.elementType != .undefined, output.type?.unknownFields.isEmpty ?? true {
                graph.outputs[index].type = ValueType(tensor: facts.tensorType, denotation: output.type?.denotation ?? "")
            }
            graph.valueInfo.removeValue(forKey: output.name)
        }
        // value_info describes intermediate values only: entries for values no node produces any more are stale.
        let known = produced.union(graph.inputs.map(\.name))
        graph.valueInfo = graph.valueInfo.filter { known.contains($0.key) }
        model.graph = graph
        let shaped = produced.compactMap { inference.facts[$0]?.shape }
        let fullyStatic = shaped.filter { Dim.numbers($0) != nil }.count
        let changed = Set(graph.valueInfo.keys).union(before.0.keys).filter { graph.valueInfo[$0] != before.0[$0] }.count
            + zip(graph.outputs, before.1).filter { $0 != $1 }.count
        var summary = "\(shaped.count) of \(produced.count) values shaped, \(fullyStatic) fully static"
        if !inference.unsupported.isEmpty { summary += "; no shape rule for " + inference.unsupported.sorted().joined(separator: ", ") }
        return PassReport(changes: changed, summary: changed == 0 ? "no change (\(summary))" : summary)
    }
}
