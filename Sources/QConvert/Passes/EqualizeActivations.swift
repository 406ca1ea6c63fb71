import QConvertIR

/// Rescales the channels of activations that feed quantized compute layers so that one per-tensor
/// scale fits them all, moving the inverse scale into the layers' weights (SmoothQuant's migration).
///
/// Why: in MobileNet-style models the channels of one activation span 10-20x in range; a single
/// uint8 scale then leaves the small channels a handful of levels. With X' = X / s (per channel c)
/// and W'[:, c] = W[:, c] s_c the layer computes the same W' X' = W X, and X' quantizes far better.
///     s_c = max|X_c| / mean_c max|X_c|                  when every reader is depthwise (its per-channel
///                                                        weight scales absorb s_c at no cost)
///     s_c = sqrt(max|X_c| / max|W[:, c]|), normalised    otherwise (balances activation and weight range)
/// The division by s is absorbed where it is exact: into the constants of a Mul/Div/Add/Sub-by-constant
/// chain producing X (e.g. PP-LCNet's learnable affine y = a x + b), or into the output channels of
/// a Conv/Gemm/MatMul producing X directly (or through a Relu, which commutes with s > 0). After a
/// HardSwish (float between quantized neighbours anyway) a Mul by 1/s does it. Elsewhere the
/// activation is left as it is.
/// With `throughHardSwish` false, an activation computed from a HardSwish (through a Mul and an Add
/// by constants, the affine `IntegerHardSwish` takes in) is left as it is too, so that that pass can
/// run the HardSwish in integers: a per-channel 1/s after it has no integer form ONNX Runtime runs fast.
struct EqualizeActivations: Pass {
    static let passName = "equalize-activations"
    let name = Self.passName
    let maxima: [String: ChannelMaxima.Observed]
    var throughHardSwish = true

    /// Readers of a candidate value, with how its channel c maps into their weights.
    struct Reader {
        let node: Int
        let weight: String
    }

    func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var equalized = 0
        var producers = graph.producers(), consumers = graph.consumers()
        for (value, observed) in maxima.sorted(by: { $0.key < $1.key }) {
            guard !graph.isOutput(value), throughHardSwish || !computedFromHardSwish(value, graph: graph, producers: producers),
                  let readers = readers(of: value, graph: graph, consumers: consumers),
                  let scales = factors(observed.maxima, readers: readers, graph: graph)
            else { continue }
            var trial = graph
            guard let scaled = absorbInverse(scales, into: value, rank: observed.rank, axis: observed.axis, graph: &trial, producers: producers,
                                             consumers: consumers, context: context, names: &names)
            else { continue }
            var shifted = readers
            if trial.nodes.count != graph.nodes.count {
                // A Mul was inserted: node indices after it moved.
                (producers, consumers) = (trial.producers(), trial.consumers())
                shifted = self.readers(of: value, graph: trial, consumers: consumers) ?? []
            }
            for reader in shifted { scaleInputChannels(reader, by: scales, graph: &trial, names: &names) }
            // The scaled values are no longer the float model's: new names keep `compare`, which
            // matches a quantized model's tensors to the float model's by name, from setting them
            // side by side. Fused units found earlier follow the new names.
            for old in scaled {
                let new = names.fresh(old + "_eq")
                trial.renameProduced(old, to: new)
                trial.replaceUses(of: old, with: new)
                context.units = context.units.map { $0.renaming(old, to: new) }
            }
            graph = trial
            equalized += 1
        }
        model.graph = graph
        return equalized == 0 ? .unchanged : PassReport(changes: equalized, summary: "\(equalized) activations equalized")
    }

    /// Whether `value` is a HardSwish's output, or one after a Mul and an Add by constants following it.
    func computedFromHardSwish(_ value: String, graph: Graph, producers: [String: Int]) -> Bool {
        var current = value
        while let p = producers[current] {
            let node = graph.nodes[p]
            if node.opType == "HardSwish" { return true }
            guard ["Mul", "Add"].contains(node.opType), node.inputs.count == 2,
                  let variable = node.inputs.first(where: { graph.initializers[$0] == nil }),
                  node.inputs.contains(where: { graph.initializers[$0] != nil })
            else { return false }
            current = variable
        }
        return false
    }

    /// Every reader must be a Conv (any groups), MatMul or Gemm (not transposed A) taking `value` as
    /// its activation input 0 with a constant float weight; else nil.
    func readers(of value: String, graph: Graph, consumers: [String: [Int]]) -> [Reader]? {
        guard let indices = consumers[value], !indices.isEmpty else { return nil }
        let weightReaders = graph.consumers()
        var readers: [Reader] = []
        for index in Set(indices).sorted() {
            let node = graph.nodes[index]
            guard node.isDefaultDomain, ["Conv", "MatMul", "Gemm"].contains(node.opType), node.inputs.count >= 2,
                  node.inputs[0] == value, !node.inputs.dropFirst().contains(value),
                  graph.initializers[node.inputs[1]]?.dataType == .float, weightReaders[node.inputs[1]]?.count == 1,
                  node.opType != "Gemm" || (try? node.int("transA", default: 0)) == 0
            else { return nil }
            readers.append(Reader(node: index, weight: node.inputs[1]))
        }
        return readers
    }

    /// Flat indices of the weight elements that multiply input channel `c`.
    func weightElements(_ reader: Reader, channel c: Int, graph: Graph) -> [Int] {
        let node = graph.nodes[reader.node], w = graph.initializers[reader.weight]!
        switch node.opType {
        case "Conv":
            let groups = (try? node.int("group", default: 1)) ?? 1
            let perGroupIn = w.shape[1], perGroupOut = w.shape[0] / max(groups, 1), kernel = w.count / (w.shape[0] * perGroupIn)
            let group = c / perGroupIn, j = c % perGroupIn
            var elements: [Int] = []
            for o in (group * perGroupOut)..<((group + 1) * perGroupOut) {
                let start = (o * perGroupIn + j) * kernel
                elements.append(contentsOf: start..<(start + kernel))
            }
            return elements
        case "Gemm" where Ops.Gemm.transposesB(node):
            return (0..<w.shape[0]).map { $0 * w.shape[1] + c }
        default:   // MatMul / Gemm with W [K, N]: row c
            return Array((c * w.shape[w.rank - 1])..<((c + 1) * w.shape[w.rank - 1]))
        }
    }

    /// The per-channel factors s_c, or nil when equalizing would not help or shapes do not fit.
    func factors(_ m: [Float], readers: [Reader], graph: Graph) -> [Float]? {
        let channels = m.count
        let positive = m.filter { $0 > 0 }
        guard channels > 1, positive.count == channels, let peak = positive.max(), let low = positive.min(), peak > 4 * low else { return nil }
        var weightMax = [Float](repeating: 0, count: channels)
        var allDepthwise = true
        for reader in readers {
            let node = graph.nodes[reader.node], w = graph.initializers[reader.weight]!
            if node.opType == "Conv" {
                guard w.rank >= 3, w.shape[1] * ((try? node.int("group", default: 1)) ?? 1) == channels else { return nil }
                if w.shape[1] != 1 { allDepthwise = false }
            } else {
                allDepthwise = false
                guard w.rank == 2, (node.opType == "Gemm" && Ops.Gemm.transposesB(node) ? w.shape[1] : w.shape[0]) == channels else { return nil }
            }
            let values = w.floats()!
            for c in 0..<channels {
                for i in weightElements(reader, channel: c, graph: graph) { weightMax[c] = max(weightMax[c], abs(values[i])) }
            }
        }
        var s: [Float]
        if allDepthwise {
            let mean = m.reduce(0, +) / Float(channels)
            s = m.map { $0 / mean }
        } else {
            guard weightMax.allSatisfy({ $0 > 0 }) else { return nil }
            s = zip(m, weightMax).map { ($0 / $1).squareRoot() }
            let logMean = s.map { log($0) }.reduce(0, +) / Float(channels)
            s = s.map { $0 / exp(logMean) }
        }
        // A ratio of float32 extremes (a weight column of denormals, as pruning leaves) overflows:
        // left alone, as a column of zeros is, since an infinite factor made NaN of the
        // normalisation and of every scale downstream.
        guard s.allSatisfy(\.isFinite) else { return nil }
        return s.map { min(max($0, 1e-3), 1e3) }
    }

    /// Rewrites the producer side so that `value` becomes value / s; returns the values now scaled
    /// (`value` and those upstream of it), or nil if there is no exact place.
    func absorbInverse(_ s: [Float], into value: String, rank: Int, axis: Int, graph: inout Graph, producers: [String: Int],
                       consumers: [String: [Int]], context: PassContext, names: inout NameScope) -> [String]? {
        var current = value
        var chain: [Int] = []
        while let p = producers[current] {
            let node = graph.nodes[p]
            if ["Conv", "Gemm", "MatMul"].contains(node.opType) {
                // The producer's output channels must lie on the axis the readers index.
                guard axis == (node.opType == "Conv" ? 1 : rank - 1),
                      scaleOutputChannels(p, by: s, graph: &graph, names: &names) else { return nil }
                return scaled(chain, by: s, rank: rank, axis: axis, graph: &graph, names: &names).map { $0 + [node.outputs[0]] }
            }
            if node.opType == "HardSwish", chain.isEmpty {
                // Not homogeneous, so nothing before it can absorb 1/s: an explicit Mul after it
                // does (one more float op next to the HardSwish, which runs in float anyway).
                var shape = [Int](repeating: 1, count: rank)
                shape[axis] = s.count
                let inverse = names.fresh(current + "_eq_scale"), unscaled = names.fresh(current + "_eq_in")
                graph.initializers[inverse] = Tensor(shape: shape, scalars: s.map { 1 / $0 })
                graph.nodes[p].outputs[0] = unscaled
                graph.nodes.insert(Node(name: names.fresh(node.displayName + "_eq"), opType: "Mul", inputs: [unscaled, inverse], outputs: [current]),
                                   at: p + 1)
                graph.valueInfo.removeValue(forKey: current)
                return [current]
            }
            if node.opType == "Relu", consumers[node.inputs[0]]?.count == 1, !graph.isOutput(node.inputs[0]) {
                chain.append(p)
                current = node.inputs[0]
                continue
            }
            guard ["Mul", "Div", "Add", "Sub"].contains(node.opType), node.inputs.count == 2,
                  graph.initializers[node.inputs[1]] != nil || (node.opType == "Mul" || node.opType == "Add") && graph.initializers[node.inputs[0]] != nil
            else { return nil }
            chain.append(p)
            if node.opType == "Mul" || node.opType == "Div" {
                return scaled(chain, by: s, rank: rank, axis: axis, graph: &graph, names: &names)
            }
            let variable = graph.initializers[node.inputs[1]] != nil ? node.inputs[0] : node.inputs[1]
            guard consumers[variable]?.count == 1, !graph.isOutput(variable) else { return nil }
            current = variable
        }
        return nil
    }

    /// Scales the constants of the chain `nodes` (see scaleConstant); returns their outputs, or nil
    /// if one cannot be scaled.
    private func scaled(_ nodes: [Int], by s: [Float], rank: Int, axis: Int, graph: inout Graph, names: inout NameScope) -> [String]? {
        for index in nodes {
            guard scaleConstant(of: index, by: s, rank: rank, axis: axis, graph: &graph, names: &names) else { return nil }
        }
        return nodes.map { graph.nodes[$0].outputs[0] }
    }

    /// Divides (Mul/Add/Sub constants) or multiplies (Div constants) a node's constant by s,
    /// broadcast per channel; Relu needs nothing.
    func scaleConstant(of index: Int, by s: [Float], rank: Int, axis: Int, graph: inout Graph, names: inout NameScope) -> Bool {
        let node = graph.nodes[index]
        if node.opType == "Relu" { return true }
        let k = graph.initializers[node.inputs[1]] != nil ? 1 : 0
        guard let constant = graph.initializers[node.inputs[k]], let values = constant.floats() else { return false }
        var shape = [Int](repeating: 1, count: rank)
        shape[axis] = s.count
        // The constant must be a scalar or vary along the channel axis only (a [C] vector on an NCHW
        // map varies along W), and must not widen the result's rank.
        let aligned = Array(repeating: 1, count: max(0, rank - constant.rank)) + constant.shape
        guard constant.rank <= rank,
              values.count == 1 || aligned.enumerated().allSatisfy({ $0.element == ($0.offset == axis ? s.count : 1) })
        else { return false }
        let scaled = (0..<s.count).map { c -> Float in
            let v = values.count == 1 ? values[0] : values[c]
            return node.opType == "Div" ? v * s[c] : v / s[c]
        }
        let name = names.fresh(node.inputs[k] + "_eq")
        graph.initializers[name] = Tensor(shape: shape, scalars: scaled)
        graph.nodes[index].inputs[k] = name
        return true
    }

    /// Divides a compute node's output channels (weight rows and bias) by s.
    func scaleOutputChannels(_ index: Int, by s: [Float], graph: inout Graph, names: inout NameScope) -> Bool {
        let node = graph.nodes[index]
        guard let w = graph.initializers[node.inputs[1]], var values = w.floats() else { return false }
        let transB = node.opType == "Gemm" && Ops.Gemm.transposesB(node)
        let outputs = node.opType == "Conv" || transB ? w.shape[0] : w.shape[w.rank - 1]
        guard outputs == s.count, node.opType != "Gemm" || (try? node.float("beta", default: 1)) == 1 else { return false }
        for i in values.indices {
            let o = node.opType == "Conv" || transB ? i / (values.count / outputs) : i % outputs
            values[i] /= s[o]
        }
        let wName = names.fresh(node.inputs[1] + "_eq")
        graph.initializers[wName] = Tensor(shape: w.shape, scalars: values)
        graph.nodes[index].inputs[1] = wName
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard let b = graph.initializers[node.inputs[2]], let bias = b.floats(), bias.count == s.count else { return false }
            let bName = names.fresh(node.inputs[2] + "_eq")
            graph.initializers[bName] = Tensor(shape: b.shape, scalars: zip(bias, s).map { $0 / $1 })
            graph.nodes[index].inputs[2] = bName
        }
        return true
    }

    /// Multiplies the weight elements reading input channel c by s_c.
    func scaleInputChannels(_ reader: Reader, by s: [Float], graph: inout Graph, names: inout NameScope) {
        let w = graph.initializers[graph.nodes[reader.node].inputs[1]]!
        var values = w.floats()!
        for c in 0..<s.count { for i in weightElements(reader, channel: c, graph: graph) { values[i] *= s[c] } }
        let name = names.fresh(graph.nodes[reader.node].inputs[1] + "_eq")
        graph.initializers[name] = Tensor(shape: w.shape, scalars: values)
        graph.nodes[reader.node].inputs[1] = name
    }
}

#if canImport(Glibc)
import Glibc
#endif
