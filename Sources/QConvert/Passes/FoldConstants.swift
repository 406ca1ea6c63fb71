import QConvertIR

/// Computes, once, every node whose inputs are all known before the model runs, and turns Constant
/// nodes into initializers.
///
/// Why: exporters compute shapes and parameters at run time (Shape -> Gather -> Concat -> Reshape,
/// Paddle's weights in Constant nodes); later passes and quantization need them as plain tensors.
///     Given:  k = Constant(); s = Shape(w); t = Concat(s, k); y = Reshape(x, t)      (w a weight)
///     Result: y = Reshape(x, t)   with t an initializer
/// A Shape whose input has a fully static declared shape folds too. Results much larger than what
/// they are computed from (ConstantOfShape, Expand, Tile of a small tensor) are left to run time, so
/// the file does not grow. Nodes with subgraphs and ops outside the default domain are not folded,
/// nor an Identity of a constant (`EliminateIdentity` removes it without copying the tensor).
public struct FoldConstants: Pass {
    public let name = "fold-constants"
    /// A folded result may be at most this many bytes larger than its inputs together.
    static let growthAllowance = 1 << 16

    public init() {}

    /// Folding rounds at most: each needs the shapes the previous one made known.
    static let maxRounds = 8

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        // A fold can make a shape known (a Reshape whose target was a Concat of Shapes), and a known
        // shape lets the Shapes of later values fold: shapes are inferred again and folding repeated
        // while it folds anything (timm's efficientvit_m0 kept 121 foldable Shape nodes after one round).
        var constantNodes = 0, folded = 0
        for round in 1...Self.maxRounds {
            let (made, computed) = try foldOnce(&model)
            constantNodes += made
            folded += computed
            guard computed > 0, round < Self.maxRounds else { break }
            _ = try InferShapes().run(&model, context)
        }
        guard constantNodes + folded > 0 else { return .unchanged }
        return PassReport(changes: constantNodes + folded,
                          summary: "\(constantNodes) Constant nodes made initializers, \(folded) nodes folded")
    }

    /// One pass over the graph in order; returns the Constant nodes made initializers and the nodes folded.
    private func foldOnce(_ model: inout Model) throws -> (constants: Int, folded: Int) {
        var graph = model.graph
        let opsets = model.opsetVersions
        var constants = graph.constantTensors()
        var constantNodes = 0, folded = 0
        var keep: [Node] = []
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            if node.opType == "Constant", node.isDefaultDomain, let value = node.constantValue(), let output = node.outputs.first {
                graph.initializers[output] = value
                constants[output] = value
                constantNodes += 1
                continue
            }
            if node.opType == "Identity", node.isDefaultDomain, node.inputs.count == 1, let value = constants[node.inputs[0]],
               let output = node.outputs.first, !graph.isOutput(output) {
                // An alias, not a copy: known for folding what reads it, while EliminateIdentity points
                // those readers at the input, so a weight used twice (torch exports a reused LSTM's W as
                // Identity(W)) stays one tensor instead of doubling the file.
                constants[output] = value
                keep.append(node)
                continue
            }
            if let results = try evaluate(node, graph: graph, constants: constants, opsets: opsets) {
                for (output, tensor) in zip(node.outputs, results) where !output.isEmpty {
                    graph.initializers[output] = tensor
                    constants[output] = tensor
                    graph.valueInfo.removeValue(forKey: output)
                }
                folded += 1
                continue
            }
            keep.append(node)
        }
        graph.nodes = keep
        model.graph = graph
        return (constantNodes, folded)
    }

    /// The node's outputs if it can be computed now, else nil.
    private func evaluate(_ node: Node, graph: Graph, constants: [String: Tensor], opsets: [String: Int]) throws -> [Tensor]? {
        guard node.isDefaultDomain, node.subgraphs.isEmpty, !node.outputs.isEmpty else { return nil }
        if node.opType == "Shape", let input = node.inputs.first, constants[input] == nil,
           let shape = graph.declaredType(of: input)?.staticShape {
            return try foldShape(node, shape: shape)
        }
        guard let op = OpRegistry.lookup(type: node.opType, domain: "") else { return nil }
        guard let inputs = node.constantInputs(constants) else { return nil }
        let context = CompileContext(opsetVersion: opsets[""] ?? 1, opsets: opsets, constants: constants, outerScope: [],
                                     requantization: .float)
        let results: [Tensor]
        do {
            results = try op.compile(node, context).run(inputs, RunContext(threads: 1))
        } catch let error as QConvertError {
            throw error.context("node '\(node.displayName)' (\(node.opType))")
        }
        let inputBytes = inputs.reduce(0) { $0 + ($1?.storage.bytes.count ?? 0) }
        let outputBytes = results.reduce(0) { $0 + $1.storage.bytes.count }
        return outputBytes <= inputBytes + Self.growthAllowance ? results : nil
    }

    /// Shape(x) for a statically shaped x, honouring opset 15's start/end.
    private func foldShape(_ node: Node, shape: [Int]) throws -> [Tensor] {
        let rank = shape.count
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
        let start = clamp(try node.int("start", default: 0))
        let end = clamp(try node.int("end", default: rank))
        let dims = start < end ? shape[start..<end].map { Int64($0) } : []
        return [Tensor(shape: [dims.count], scalars: dims)]
    }
}
