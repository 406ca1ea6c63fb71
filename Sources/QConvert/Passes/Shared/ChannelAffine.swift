import QConvertIR

/// A per-channel affine map y' = y * f[c] + t[c], and how to absorb it into the weights of the node
/// that produces y (FoldBatchNorm, FoldChannelAffine) or of the Conv that reads y' (FoldInputAffine).
///     Conv:           W[c, ...] * f[c], b * f + t            (W's axis 0 is the output channel)
///     ConvTranspose:  W scaled along its output-channel axis 1 (per group), b * f + t
///     Gemm:           B's output columns * f, C' = C * f + t / beta'
///     MatMul:         constant [K, N] weight, 2-D input: columns * f, then an Add of t
///     Conv reading y': see foldIntoReader
struct ChannelAffine {
    var f: [Float]
    var t: [Float]

    init(f: [Float], t: [Float]) {
        (self.f, self.t) = (f, t)
    }

    /// The map a Mul, Div, Add or Sub by a per-channel constant applies to its other input (for Sub
    /// and Div, the first), or nil for another op or a division by zero.
    init?(opType: String, _ perChannel: [Float]) {
        let ones = [Float](repeating: 1, count: perChannel.count), zeros = [Float](repeating: 0, count: perChannel.count)
        switch opType {
        case "Mul": self.init(f: perChannel, t: zeros)
        case "Div" where perChannel.allSatisfy({ $0 != 0 }): self.init(f: perChannel.map { 1 / $0 }, t: zeros)
        case "Add": self.init(f: ones, t: perChannel)
        case "Sub": self.init(f: ones, t: perChannel.map { -$0 })
        default: return nil
        }
    }

    /// The ways `node` can be a constant map of one activation: a Mul, Div, Add or Sub with a float
    /// constant operand (on either side of a Mul or Add, second for a Div or Sub), each as the
    /// activation it reads and the constant.
    static func operands(of node: Node, graph: Graph) -> [(activation: String, values: [Float], shape: [Int])] {
        guard node.isDefaultDomain, node.inputs.count == 2, node.outputs.count == 1, ["Mul", "Div", "Add", "Sub"].contains(node.opType) else { return [] }
        let commutes = node.opType == "Mul" || node.opType == "Add"
        return (commutes ? [(0, 1), (1, 0)] : [(0, 1)]).compactMap { x, k in
            guard let constant = graph.initializers[node.inputs[k]], constant.dataType == .float, let values = constant.floats(),
                  graph.initializers[node.inputs[x]] == nil
            else { return nil }
            return (node.inputs[x], values, constant.shape)
        }
    }

    /// One value per channel (axis 1 of a value of `rank`) from a constant of `shape`, or nil when
    /// it would broadcast along another axis or widen the value's rank.
    static func perChannel(_ values: [Float], shape: [Int], channels: Int, rank: Int) -> [Float]? {
        guard shape.count <= rank else { return nil }
        if values.count == 1 { return Array(repeating: values[0], count: channels) }
        let aligned = Array(repeating: 1, count: rank - shape.count) + shape
        guard aligned[1] == channels, aligned.enumerated().allSatisfy({ $0.offset == 1 || $0.element == 1 }) else { return nil }
        return values
    }

    /// Output channels of a node whose output this map could follow, from its constant weight.
    static func outputChannels(of node: Node, graph: Graph) throws -> Int? {
        guard node.isDefaultDomain, node.inputs.count >= 2, let weight = graph.initializers[node.inputs[1]], weight.rank >= 2 else { return nil }
        switch node.opType {
        case "Conv": return weight.rank >= 3 ? weight.shape[0] : nil
        case "ConvTranspose": return weight.rank >= 3 ? weight.shape[1] * (try node.int("group", default: 1)) : nil
        case "Gemm": return weight.rank == 2 ? (try node.int("transB", default: 0) != 0 ? weight.shape[0] : weight.shape[1]) : nil
        default: return nil
        }
    }

    /// Rewrites node `p`'s weights to absorb the map; returns its op type, or nil if it cannot
    /// (weights not constant, channel counts differ, unsupported layout, MatMul when not allowed).
    /// A weight or bias only this node reads is replaced under its own name; a shared one stays for
    /// its other readers, and this node reads a copy named after it plus `suffix`. (A Gemm's new C
    /// and a MatMul's shift, whose shapes differ from what they replace, are always new tensors.)
    func fold(into p: Int, suffix: String, allowMatMul: Bool, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        guard node.isDefaultDomain, node.inputs.count >= 2, let weight = graph.initializers[node.inputs[1]],
              weight.dataType == .float, let w = weight.floats()
        else { return nil }
        let channels = f.count
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
            for c in 0..<channels { for k in 0..<inner { newWeight[c * inner + k] *= f[c] } }
            newBias = (0..<channels).map { c in (bias?[c] ?? 0) * f[c] + t[c] }
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
                    for k in 0..<inner { newWeight[(ci * perGroupOut + j) * inner + k] *= f[c] }
                }
            }
            newBias = (0..<channels).map { c in (bias?[c] ?? 0) * f[c] + t[c] }
        case "Gemm":
            return try foldGemm(p, weight: weight, suffix: suffix, graph: &graph, names: &names)
        case "MatMul" where allowMatMul:
            return try foldMatMul(p, weight: weight, suffix: suffix, graph: &graph, names: &names)
        default:
            return nil
        }
        // A node without a bias keeps none when the map adds no shift (a pure scale).
        let keepsNoBias = bias == nil && !t.contains { $0 != 0 }
        Self.store(weight: Tensor(shape: weight.shape, scalars: newWeight), bias: keepsNoBias ? nil : newBias, in: p, suffix: suffix,
                   graph: &graph, names: &names)
        return node.opType
    }

    /// Rewrites Conv `p`, which reads y' as its input X, to absorb the map instead:
    ///     Conv(y * f + t, W, b) = Conv(y, W[o, j, ...] * f[i], b[o] + Σ_j,... W[o, j, ...] * t[i])
    /// where i is the input channel W[o, j] reads (group of o, then j). Returns false, changing
    /// nothing, when the weight or bias is not a float constant, the channel counts differ, or the
    /// map shifts and the Conv pads: its border reads 0 where the map would give t.
    func foldIntoReader(_ p: Int, suffix: String, graph: inout Graph, names: inout NameScope) throws -> Bool {
        let node = graph.nodes[p]
        guard node.isDefaultDomain, node.opType == "Conv", node.inputs.count >= 2,
              let weight = graph.initializers[node.inputs[1]], weight.dataType == .float, weight.rank >= 3, let w = weight.floats()
        else { return false }
        let groups = try node.int("group", default: 1)
        let (outputs, perGroupIn) = (weight.shape[0], weight.shape[1])
        guard perGroupIn * groups == f.count, outputs % groups == 0 else { return false }
        let shifts = t.contains { $0 != 0 }
        if shifts {
            let pads = try node.ints("pads") ?? []
            guard pads.allSatisfy({ $0 == 0 }), ["NOTSET", "VALID"].contains(try node.string("auto_pad", default: "NOTSET")) else { return false }
        }
        var bias = [Float](repeating: 0, count: outputs)
        let hasBias = node.inputs.count >= 3 && !node.inputs[2].isEmpty
        if hasBias {
            guard let b = graph.initializers[node.inputs[2]]?.floats(), b.count == outputs else { return false }
            bias = b
        }
        var newWeight = w
        let inner = weight.count / (outputs * perGroupIn), perGroupOut = outputs / groups
        for o in 0..<outputs {
            var added: Double = 0
            for j in 0..<perGroupIn {
                let i = (o / perGroupOut) * perGroupIn + j
                for k in 0..<inner {
                    let at = (o * perGroupIn + j) * inner + k
                    added += Double(w[at]) * Double(t[i])
                    newWeight[at] = w[at] * f[i]
                }
            }
            bias[o] += Float(added)
        }
        Self.store(weight: Tensor(shape: weight.shape, scalars: newWeight), bias: shifts ? bias : nil, in: p, suffix: suffix,
                   graph: &graph, names: &names)
        return true
    }

    /// Gives node `p` its rewritten weight (input 1) and, unless `bias` is nil, bias (input 2): each
    /// under its old name when only `p` reads it, else a copy named after it plus `suffix`; a bias
    /// the node lacked is named after the node.
    private static func store(weight: Tensor, bias: [Float]?, in p: Int, suffix: String, graph: inout Graph, names: inout NameScope) {
        let node = graph.nodes[p], readers = graph.consumers()
        let wName = name(rewriting: node.inputs[1], of: p, suffix: suffix, graph: graph, readers: readers, names: &names)
        graph.initializers[wName] = weight
        graph.nodes[p].inputs[1] = wName
        guard let bias else { return }
        let hasBias = node.inputs.count >= 3 && !node.inputs[2].isEmpty
        let bName = hasBias ? name(rewriting: node.inputs[2], of: p, suffix: suffix, graph: graph, readers: readers, names: &names)
                            : names.fresh(node.displayName + suffix)
        graph.initializers[bName] = Tensor(shape: [bias.count], scalars: bias)
        if graph.nodes[p].inputs.count >= 3 { graph.nodes[p].inputs[2] = bName } else { graph.nodes[p].inputs.append(bName) }
    }

    /// Where node `p`'s rewritten constant `name` is stored: under `name` itself when only `p` reads it.
    private static func name(rewriting name: String, of p: Int, suffix: String, graph: Graph, readers: [String: [Int]],
                             names: inout NameScope) -> String {
        graph.isPrivateConstant(name, of: p, consumers: readers) ? name : names.fresh(name + suffix)
    }

    /// Gemm: Y = alpha * A' B' + beta * C, with BatchNormalization over Y's columns N.
    private func foldGemm(_ p: Int, weight: Tensor, suffix: String, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        let transB = try node.int("transB", default: 0) != 0
        let beta = try node.float("beta", default: 1)
        guard weight.rank == 2, let w = weight.floats() else { return nil }
        let (k, n) = transB ? (weight.shape[1], weight.shape[0]) : (weight.shape[0], weight.shape[1])
        guard n == f.count else { return nil }
        var newWeight = w
        for row in 0..<k {
            for col in 0..<n {
                let at = transB ? col * k + row : row * n + col
                newWeight[at] *= f[col]
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
        let newC = (0..<n).map { col in (hasC ? c[col] * f[col] : 0) + t[col] / newBeta }
        let wName = Self.name(rewriting: node.inputs[1], of: p, suffix: suffix, graph: graph, readers: graph.consumers(), names: &names)
        let cName = names.fresh(node.displayName + suffix + "_c")
        graph.initializers[wName] = Tensor(shape: weight.shape, scalars: newWeight)
        graph.initializers[cName] = Tensor(shape: [n], scalars: newC)
        graph.nodes[p].inputs[1] = wName
        if graph.nodes[p].inputs.count >= 3 { graph.nodes[p].inputs[2] = cName } else { graph.nodes[p].inputs.append(cName) }
        graph.nodes[p].setAttribute("beta", .float(newBeta))
        return "Gemm"
    }

    /// MatMul(A [M, K], W [K, N]) with BatchNormalization over N: scale W's columns, add the shift.
    private func foldMatMul(_ p: Int, weight: Tensor, suffix: String, graph: inout Graph, names: inout NameScope) throws -> String? {
        let node = graph.nodes[p]
        guard weight.rank == 2, graph.declaredType(of: node.inputs[0])?.shape?.count == 2, let w = weight.floats() else { return nil }
        let (k, n) = (weight.shape[0], weight.shape[1])
        guard n == f.count else { return nil }
        var newWeight = w
        for row in 0..<k { for col in 0..<n { newWeight[row * n + col] *= f[col] } }
        let wName = Self.name(rewriting: node.inputs[1], of: p, suffix: suffix, graph: graph, readers: graph.consumers(), names: &names)
        let tName = names.fresh(node.displayName + suffix + "_shift")
        graph.initializers[wName] = Tensor(shape: weight.shape, scalars: newWeight)
        graph.initializers[tName] = Tensor(shape: [n], scalars: t)
        let product = names.fresh(node.outputs[0] + "_matmul")
        graph.nodes[p].inputs[1] = wName
        let add = Node(name: names.fresh(node.displayName + suffix + "_add"), opType: "Add", inputs: [product, tName], outputs: [node.outputs[0]])
        graph.nodes[p].outputs[0] = product
        graph.nodes.insert(add, at: p + 1)
        return "MatMul"
    }
}
