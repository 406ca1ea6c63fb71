import QConvertIR

/// Folds inference BatchNormalization into the Conv, ConvTranspose, Gemm or MatMul feeding it, so
/// calibration and quantization see the weights that will be deployed.
///
/// With f = scale / sqrt(var + epsilon) and t = B - mean * f (per output channel c):
///     Given:  y = BatchNormalization(Conv(x, W, b), scale, B, mean, var)
///     Result: y = Conv(x, W * f[c], b * f + t)           (W's axis 0 is the output channel)
/// ConvTranspose scales W along its output-channel axis 1 (per group); Gemm scales B's output
/// columns and C; MatMul with a constant [K, N] weight and a 2-D input becomes MatMul + Add. A folded
/// weight only that node reads keeps its name; a shared one is copied as `W_bn` for that node.
/// A BatchNormalization that follows nothing foldable, on an input of known rank, becomes
///     y = Add(Mul(x, f), t)      with f, t shaped [C, 1, ..., 1]
/// which is the same affine map (inference BatchNormalization is exactly y = x * f + t).
public struct FoldBatchNorm: Pass {
    public let name = "fold-batchnorm"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var folded: [String: Int] = [:]
        var affine = 0
        var index = 0
        while index < graph.nodes.count {
            let bn = graph.nodes[index]
            guard bn.opType == "BatchNormalization", bn.isDefaultDomain, let parameters = try batchNormParameters(bn, graph) else {
                index += 1
                continue
            }
            let producers = graph.producers()
            let x = bn.inputs[0]
            if let p = producers[x], graph.consumers()[x] == [index], !graph.isOutput(x),
               let target = try parameters.fold(into: p, suffix: "_bn", allowMatMul: true, graph: &graph, names: &names) {
                // Folding may insert a node (MatMul + Add), so find the BatchNormalization and the
                // node now producing x by name, not by index.
                graph.nodes.removeAll { $0.opType == "BatchNormalization" && $0.outputs.first == bn.outputs[0] }
                graph.renameProduced(x, to: bn.outputs[0])
                folded[target, default: 0] += 1
                continue
            }
            if let rank = graph.declaredType(of: x)?.shape?.count, rank >= 2 {
                let broadcast = [parameters.f.count] + Array(repeating: 1, count: rank - 2)
                let fName = names.fresh(bn.displayName + "_scale"), tName = names.fresh(bn.displayName + "_shift")
                graph.initializers[fName] = Tensor(shape: broadcast, scalars: parameters.f)
                graph.initializers[tName] = Tensor(shape: broadcast, scalars: parameters.t)
                let scaled = names.fresh(bn.outputs[0] + "_scaled")
                let mul = Node(name: names.fresh(bn.displayName + "_mul"), opType: "Mul", inputs: [x, fName], outputs: [scaled])
                let add = Node(name: names.fresh(bn.displayName + "_add"), opType: "Add", inputs: [scaled, tName], outputs: [bn.outputs[0]])
                graph.nodes.replaceSubrange(index...index, with: [mul, add])
                affine += 1
                index += 2
                continue
            }
            index += 1
        }
        model.graph = graph
        let total = folded.values.reduce(0, +)
        guard total + affine > 0 else { return .unchanged }
        var parts = folded.sorted { $0.key < $1.key }.map { "\($0.value) into \($0.key)" }
        if affine > 0 { parts.append("\(affine) turned into Mul+Add") }
        return PassReport(changes: total + affine, summary: "\(total + affine) BatchNormalization folded (" + parts.joined(separator: ", ") + ")")
    }

    /// f and t for an inference-mode BatchNormalization with constant parameters, else nil.
    private func batchNormParameters(_ bn: Node, _ graph: Graph) throws -> ChannelAffine? {
        guard bn.inputs.count >= 5, bn.outputs.dropFirst().allSatisfy({ $0.isEmpty }) else { return nil }
        if try bn.int("training_mode", default: 0) != 0 { return nil }
        // Before opset 9, spatial = 0 means statistics per value of each sample ([C, H, W] flattened),
        // not per channel: no per-channel affine to fold. (In `prepare`, upgrade-opset refuses such a
        // node first; this guards the pass run on its own.)
        if try bn.int("spatial", default: 1) == 0 { return nil }
        let constants = graph.initializers
        guard let scale = constants[bn.inputs[1]]?.floats(), let bias = constants[bn.inputs[2]]?.floats(),
              let mean = constants[bn.inputs[3]]?.floats(), let variance = constants[bn.inputs[4]]?.floats(),
              [bias.count, mean.count, variance.count].allSatisfy({ $0 == scale.count })
        else { return nil }
        let epsilon = Double(try bn.float("epsilon", default: 1e-5))
        var f = [Float](), t = [Float]()
        for c in scale.indices {
            let factor = Double(scale[c]) / (Double(variance[c]) + epsilon).squareRoot()
            f.append(Float(factor))
            t.append(Float(Double(bias[c]) - Double(mean[c]) * factor))
        }
        return ChannelAffine(f: f, t: t)
    }
}
