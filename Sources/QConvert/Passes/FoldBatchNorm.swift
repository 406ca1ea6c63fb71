import QConvertIR

/// Folds inference BatchNormalization into the Conv, ConvTranspose, Gemm or MatMul feeding it, so
/// calibration and quantization see the weights that will be deployed.
///
/// With f = scale / sqrt(var + epsilon) and t = B - mean * f (per output channel c):
///     Given:  y = BatchNormalization(Conv(x, W, b), scale, B, mean, var)
///     Result: y = Conv(x, W * f[c], b * f + t)           (W's axis 0 is the output channel)
/// ConvTranspose scales W along its output-channel axis 1 (per group); Gemm scales B's output
/// columns and C; MatMul with a constant [K, N] weight and a 2-D input becomes MatMul + Add. Folded
/// weights are new initializers (the originals may be shared); dead ones go in a later pass.
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
               let target = try fold(into: p, parameters: parameters, graph: &graph, names: &names) {
                // Folding may insert a node (MatMul + Add), so find the BatchNormalization and the
                // node now producing x by name, not by index.
                graph.nodes.removeAll { $0.opType == "BatchNormalization" && $0.outputs.first == bn.outputs[0] }
                for k in graph.nodes.indices {
                    for o in graph.nodes[k].outputs.indices where graph.nodes[k].outputs[o] == x {
                        graph.nodes[k].outputs[o] = bn.outputs[0]
                    }
                }
                graph.valueInfo.removeValue(forKey: x)
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

    struct Parameters {
        var f: [Float]
        var t: [Float]
    }

    /// f and t for an inference-mode BatchNormalization with constant parameters, else nil.
    private func batchNormParameters(_ bn: Node, _ graph: Graph) throws -> Parameters? {
        guard bn.inputs.count >= 5, bn.outputs.dropFirst().allSatisfy({ $0.isEmpty }) else { return nil }
        if try bn.int("training_mode", default: 0) != 0 { return nil }
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
        return Parameters(f: f, t: t)
    }

    /// Rewrites node `p`'s weights to absorb the BatchNormalization; returns its op type, or nil if
    /// it cannot (weights not constant, channel counts differ, unsupported layout).
    private func fold(into p: Int, parameters: Parameters, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        guard node.isDefaultDomain, node.inputs.count >= 2, let weight = graph.initializers[node.inputs[1]],
              weight.dataType == .float, let w = weight.floats()
        else { return nil }
        let channels = parameters.f.count
        let bias: [Float]?
        if node.inputs.count >= 3, !node.inputs[2].isEmpty {
            guard let b = graph.initializers[node.inputs[2]]?.floats() else { return nil }
            bias = b
        } else {
            bias = nil
        }
        var newWeight = w
        var newBias: [Float]
        switch node.opType {
        case "Conv":
            guard weight.rank >= 3, weight.shape[0] == channels, bias == nil || bias?.count == channels else { return nil }
            let inner = weight.count / channels
            for c in 0..<channels { for k in 0..<inner { newWeight[c * inner + k] *= parameters.f[c] } }
            newBias = (0..<channels).map { c in (bias?[c] ?? 0) * parameters.f[c] + parameters.t[c] }
        case "ConvTranspose":
            let groups = try node.int("group", default: 1)
            guard weight.rank >= 3, weight.shape[1] * groups == channels, weight.shape[0] % groups == 0,
                  bias == nil || bias?.count == channels
            else { return nil }
            let perGroupIn = weight.shape[0] / groups, perGroupOut = weight.shape[1]
            let inner = weight.count / (weight.shape[0] * perGroupOut)
            for ci in 0..<weight.shape[0] {
                for j in 0..<perGroupOut {
                    let c = (ci / perGroupIn) * perGroupOut + j
                    for k in 0..<inner { newWeight[(ci * perGroupOut + j) * inner + k] *= parameters.f[c] }
                }
            }
            newBias = (0..<channels).map { c in (bias?[c] ?? 0) * parameters.f[c] + parameters.t[c] }
        case "Gemm":
            return try foldGemm(p, weight: weight, parameters: parameters, graph: &graph, names: &names)
        case "MatMul":
            return try foldMatMul(p, weight: weight, parameters: parameters, graph: &graph, names: &names)
        default:
            return nil
        }
        let wName = names.fresh(node.inputs[1] + "_bn")
        let bName = names.fresh((bias == nil ? node.displayName : node.inputs[2]) + "_bn")
        graph.initializers[wName] = Tensor(shape: weight.shape, scalars: newWeight)
        graph.initializers[bName] = Tensor(shape: [channels], scalars: newBias)
        graph.nodes[p].inputs[1] = wName
        if graph.nodes[p].inputs.count >= 3 { graph.nodes[p].inputs[2] = bName } else { graph.nodes[p].inputs.append(bName) }
        return node.opType
    }

    /// Gemm: Y = alpha * A' B' + beta * C, with BatchNormalization over Y's columns N.
    private func foldGemm(_ p: Int, weight: Tensor, parameters: Parameters, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        let transB = try node.int("transB", default: 0) != 0
        let beta = try node.float("beta", default: 1)
        guard weight.rank == 2, let w = weight.floats() else { return nil }
        let (k, n) = transB ? (weight.shape[1], weight.shape[0]) : (weight.shape[0], weight.shape[1])
        guard n == parameters.f.count else { return nil }
        var newWeight = w
        for row in 0..<k {
            for col in 0..<n {
                let at = transB ? col * k + row : row * n + col
                newWeight[at] *= parameters.f[col]
            }
        }
        // New C' (per column): beta' * C' = beta * C * f + t, with beta' = 1 when beta was 0 or C absent.
        var c = [Float](repeating: 0, count: n)
        var hasC = false
        if node.inputs.count >= 3, !node.inputs[2].isEmpty, beta != 0 {
            guard let cTensor = graph.initializers[node.inputs[2]], let values = cTensor.floats() else { return nil }
            switch values.count {
            case 1: c = Array(repeating: values[0], count: n)
            case n where cTensor.shape.last == n || cTensor.rank == 1: c = values
            default: return nil
            }
            hasC = true
        }
        let newBeta: Float = hasC ? beta : 1
        let newC = (0..<n).map { col in (hasC ? c[col] * parameters.f[col] : 0) + parameters.t[col] / newBeta }
        let wName = names.fresh(node.inputs[1] + "_bn"), cName = names.fresh(node.displayName + "_bn_c")
        graph.initializers[wName] = Tensor(shape: weight.shape, scalars: newWeight)
        graph.initializers[cName] = Tensor(shape: [n], scalars: newC)
        graph.nodes[p].inputs[1] = wName
        if graph.nodes[p].inputs.count >= 3 { graph.nodes[p].inputs[2] = cName } else { graph.nodes[p].inputs.append(cName) }
        graph.nodes[p].setAttribute("beta", .float(newBeta))
        return "Gemm"
    }

    /// MatMul(A [M, K], W [K, N]) with BatchNormalization over N: scale W's columns, add the shift.
    private func foldMatMul(_ p: Int, weight: Tensor, parameters: Parameters, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        guard weight.rank == 2, graph.declaredType(of: node.inputs[0])?.shape?.count == 2, let w = weight.floats() else { return nil }
        let (k, n) = (weight.shape[0], weight.shape[1])
        guard n == parameters.f.count else { return nil }
        var newWeight = w
        for row in 0..<k { for col in 0..<n { newWeight[row * n + col] *= parameters.f[col] } }
        let wName = names.fresh(node.inputs[1] + "_bn"), tName = names.fresh(node.displayName + "_bn_shift")
        graph.initializers[wName] = Tensor(shape: weight.shape, scalars: newWeight)
        graph.initializers[tName] = Tensor(shape: [n], scalars: parameters.t)
        let product = names.fresh(node.outputs[0] + "_matmul")
        graph.nodes[p].inputs[1] = wName
        let add = Node(name: names.fresh(node.displayName + "_bn_add"), opType: "Add", inputs: [product, tName], outputs: [node.outputs[0]])
        graph.nodes[p].outputs[0] = product
        graph.nodes.insert(add, at: p + 1)
        return "MatMul"
    }
}
