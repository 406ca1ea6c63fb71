import QConvertIR

/// Folds a multiplication, division, addition or subtraction by a per-channel constant whose
/// output only a Conv reads into that Conv's weights and bias.
///
/// Why: PP-LCNetV3 (ppocrv4_det, ppocrv4_rec) ends its layers with HardSwish and then a learnable
/// affine a·h + b. FoldChannelAffine cannot take the affine into the Conv before it (the HardSwish
/// lies between), so it stays: two float passes over the activation between quantized layers,
/// and the quantized tensor is the affine's output. The Conv after it is linear in its input, so
/// it can absorb the affine instead (ChannelAffine.foldIntoReader):
///     Given:  z = Add(Mul(h, a), b); y = Conv(z, W, B)      (a, b one value or one per channel)
///     Result: y = Conv(h, W * a[i], B + Σ W · b[i])         (i: the input channel a weight reads)
/// A shift (Add, Sub) folds only into a Conv that pads nothing, whose every window reads real
/// values; a scale (Mul, Div) folds into any Conv, since a padded 0 scales to 0. Maps fold from
/// the Conv backwards, so a chain folds one after the other, and a scale before a shift that
/// stays stays too. On ppocrv4_det this folds 23 maps: 4-5% faster in ONNX Runtime, and the
/// text-mask IoU 0.971 -> 0.972 (README, step 1).
/// Runs after FuseConvActivation, so a Div of a HardSwish's spelled-out form is already part of
/// the HardSwish. The map's output must be read by that Conv alone, as its input X, and not be a
/// graph output.
public struct FoldInputAffine: Pass {
    public let name = "fold-input-affine"

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var folded: [String: Int] = [:]
        var index = 0
        var consumers = graph.consumers()
        while index < graph.nodes.count {
            let node = graph.nodes[index]
            guard let readers = consumers[node.outputs.first ?? ""], readers.count == 1, let reader = readers.first,
                  !graph.isOutput(node.outputs[0]), graph.nodes[reader].inputs.firstIndex(of: node.outputs[0]) == 0,
                  let (input, map) = try affine(node, reader: graph.nodes[reader], graph: graph),
                  try map.foldIntoReader(reader, suffix: "_f", graph: &graph, names: &names)
            else {
                index += 1
                continue
            }
            graph.nodes[reader].inputs[0] = input
            graph.nodes.remove(at: index)
            graph.valueInfo.removeValue(forKey: node.outputs[0])
            context.units = context.units.map { $0.renaming(node.outputs[0], to: input) }
            folded[node.opType, default: 0] += 1
            consumers = graph.consumers()
            // The node before this one (a Mul before the Add just folded) is now read by the Conv alone.
            if let producer = graph.nodes[..<index].lastIndex(where: { $0.outputs.contains(input) }) { index = producer }
        }
        model.graph = graph
        return .counted(folded, "constant maps folded into the Conv that reads them")
    }

    /// The activation `node` reads and the map it applies to it, if it is a Mul, Div, Add or Sub by
    /// a float constant with one value or one per input channel of the Conv `reader`, and that
    /// activation already has the shape the Conv reads (rank and channels: a constant can broadcast
    /// a narrower one, as a [1, 3, 1, 1] mean does a grayscale image, and the Conv would then read
    /// the narrower one). An activation of unknown shape stays.
    private func affine(_ node: Node, reader: Node, graph: Graph) throws -> (String, ChannelAffine)? {
        guard reader.isDefaultDomain, reader.opType == "Conv", reader.inputs.count >= 2,
              let weight = graph.initializers[reader.inputs[1]], weight.rank >= 3
        else { return nil }
        let channels = weight.shape[1] * (try reader.int("group", default: 1))
        for (x, values, constantShape) in ChannelAffine.operands(of: node, graph: graph) {
            guard let shape = graph.declaredType(of: x)?.shape, shape.count == weight.rank, shape[1] == .value(channels),
                  let perChannel = ChannelAffine.perChannel(values, shape: constantShape, channels: channels, rank: weight.rank)
            else { continue }
            return ChannelAffine(opType: node.opType, perChannel).map { (x, $0) }
        }
        return nil
    }
}
