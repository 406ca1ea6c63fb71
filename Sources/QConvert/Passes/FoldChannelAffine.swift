import QConvertIR

/// Folds a multiplication, division, addition or subtraction by a per-output-channel constant that
/// directly follows a Conv, ConvTranspose or Gemm into that node's weights and bias.
///
/// Why: exporters often leave a layer's bias as a separate Add (PaddlePaddle's SE-block convs), and
/// PP-LCNetV3/PP-HGNet end every Conv with a learnable affine y = a x + b. Left alone, each is a
/// float op between the Conv's quantized output and the next layer: ONNX Runtime dequantizes, runs
/// it, quantizes again, and the Conv's output range is measured before the map that changes it.
///     Given:  y = Conv(x, W, b); z = Mul(y, a)      (or Mul(a, y), Div(y, a); a one value or one per channel)
///     Result: z = Conv(x, W * a[c], b * a)
///     Given:  y = Conv(x, W); z = Add(y, d)         (or Add(d, y), Sub(y, d); the Conv has no bias)
///     Result: z = Conv(x, W, d)
/// A shift after a Conv that has a bias of its own (PP-LCNetV3's affine after a folded BatchNorm)
/// stays a separate Add unless `shiftsAfterBias`: whether folding it helps depends on the model and
/// its grids (README, step 8: ppocrv4_rec read 59.4% of strings folded against 85.9% separate before
/// grids started at their readers' floor, 85.9% folded against 76.6% since), and the folded model
/// runs about 6% faster without the float Adds (ppocrv4_det), so quantization measures both and
/// keeps the better (QuantizationJob.chooseShiftFolding).
/// A constant is per channel when, aligned to the output's rank, every dimension but the channel
/// axis (1) is 1. y must be read by that node alone and not be a graph output; chains (Mul then
/// Add) fold one after the other.
public struct FoldChannelAffine: Pass {
    public let name = "fold-channel-affine"
    /// Fold only the shifts (Add/Sub) after a node that has a bias, which the default leaves, and
    /// nothing else (the weights stay as they are); nodes named in `keep` stay.
    let shiftsAfterBias: Bool
    let keep: Set<String>

    public init() {
        self.init(shiftsAfterBias: false)
    }

    init(shiftsAfterBias: Bool, keep: Set<String> = []) {
        self.shiftsAfterBias = shiftsAfterBias
        self.keep = keep
    }

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var folded: [String: Int] = [:]
        var index = 0
        var producers = graph.producers(), consumers = graph.consumers()
        while index < graph.nodes.count {
            let node = graph.nodes[index]
            guard let (input, map) = try affine(node, graph: graph, producers: producers),
                  let p = producers[input], consumers[input] == [index], !graph.isOutput(input),
                  let target = try map.fold(into: p, suffix: "_f", allowMatMul: false, graph: &graph, names: &names)
            else {
                index += 1
                continue
            }
            let output = node.outputs[0]
            graph.nodes.remove(at: index)
            graph.renameProduced(input, to: output)
            folded["\(target)+\(node.opType)", default: 0] += 1
            (producers, consumers) = (graph.producers(), graph.consumers())   // indices after the removed node moved
            index = p   // the producer may now be followed by the next map of a chain
        }
        model.graph = graph
        return .counted(folded, "constant maps folded")
    }

    /// The activation `node` reads and the per-channel map it applies to it, if it is a Mul, Div,
    /// Add or Sub by a float constant whose shape fits the channel axis of that activation's producer.
    private func affine(_ node: Node, graph: Graph, producers: [String: Int]) throws -> (String, ChannelAffine)? {
        guard !keep.contains(node.displayName) else { return nil }
        for (x, values, shape) in ChannelAffine.operands(of: node, graph: graph) {
            guard let p = producers[x], let channels = try ChannelAffine.outputChannels(of: graph.nodes[p], graph: graph),
                  let rank = outputRank(of: graph.nodes[p], graph: graph),
                  let perChannel = ChannelAffine.perChannel(values, shape: shape, channels: channels, rank: rank)
            else { continue }
            let producer = graph.nodes[p]
            let hasBias = producer.inputs.count > 2 && !producer.inputs[2].isEmpty
            let isShift = node.opType == "Add" || node.opType == "Sub"
            if shiftsAfterBias != (isShift && hasBias) { return nil }
            return ChannelAffine(opType: node.opType, perChannel).map { (x, $0) }
        }
        return nil
    }

    /// Rank of a Conv/ConvTranspose output (its weight's rank) or a Gemm output (2).
    private func outputRank(of node: Node, graph: Graph) -> Int? {
        node.opType == "Gemm" ? 2 : graph.initializers[node.inputs[1]]?.rank
    }
}
