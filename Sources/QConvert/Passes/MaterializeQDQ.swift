import QConvertIR

/// Turns a float model and a quantization plan into a QDQ model: int8 weights with per-axis
/// DequantizeLinear, int32 biases, and a QuantizeLinear -> DequantizeLinear pair on every planned value.
///
/// Why this form: it is standard ONNX that any runtime can run, and ONNX Runtime fuses each
/// `DQ -> op -> Q` group into its integer kernel (QLinearConv, QLinearMatMul...).
///     Given:  y = Conv(x, W, b); z = Relu(y)       with x and z planned
///     Result: xq = QuantizeLinear(x, sx, zx); xd = DequantizeLinear(xq, sx, zx)
///             Wd = DequantizeLinear(Wq, sW) {axis 0};  bd = DequantizeLinear(bq, sx*sW) {axis 0}
///             y = Conv(xd, Wd, bd); z = Relu(y); zq = QuantizeLinear(z, sz, zz); zd = DequantizeLinear(zq, sz, zz)
///             and every reader of z reads zd.
/// A planned value that is also a graph output stays float there: only its readers inside the graph
/// read the dequantized copy. A planned model input stays float for its float readers too.
public struct MaterializeQDQ: Pass {
    public let name = "materialize-qdq"
    public let plan: QuantizationPlan
    /// Integer weights already rounded (by GPTQ), by node name. Used when their scales are the ones
    /// the plan gives the node; otherwise (and for other nodes) weights are rounded to nearest here.
    public let weights: [String: WeightQuantization.Result]

    public init(plan: QuantizationPlan, weights: [String: WeightQuantization.Result] = [:]) {
        self.plan = plan
        self.weights = weights
    }

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var weightCount = 0
        // Weights and biases of quantized compute nodes (and LSTM/GRU weights); their DequantizeLinear nodes go first in the
        // graph, added after this loop so node indices stay put while it runs.
        var dequantizeNodes: [Node] = []
        // A weight several nodes read (an LSTM used twice), quantized alike for each, is stored once.
        var stored: [String: [(weight: WeightQuantization.Result, output: String)]] = [:]
        let readers = graph.consumers()
        for index in graph.nodes.indices {
            let node = graph.nodes[index]
            guard plan.weights[node.displayName] != nil else { continue }
            for layout in try WeightLayout.all(node, graph: graph, plan: plan) {
                let quantized: QuantizedWeights
                if let rounded = weights[node.displayName], rounded.params.scales == layout.scales {
                    quantized = layout.with(weight: rounded)
                } else {
                    quantized = layout.roundedToNearest()
                }
                let weightName = node.inputs[quantized.weightInput]
                if let same = stored[weightName]?.first(where: { $0.weight == quantized.weight }) {
                    graph.nodes[index].inputs[quantized.weightInput] = same.output
                } else {
                    let weightNode = addDequantize(quantized.weight.tensor, params: quantized.weight.params, base: weightName,
                                                   replacing: graph.isPrivateConstant(weightName, of: index, consumers: readers), graph: &graph, names: &names)
                    graph.nodes[index].inputs[quantized.weightInput] = weightNode.outputs[0]
                    dequantizeNodes.append(weightNode)
                    stored[weightName, default: []].append((quantized.weight, weightNode.outputs[0]))
                }
                if let bias = quantized.bias, let biasInput = quantized.biasInput {
                    let biasName = node.inputs[biasInput]
                    let biasNode = addDequantize(bias.tensor, params: bias.params, base: biasName,
                                                 replacing: graph.isPrivateConstant(biasName, of: index, consumers: readers), graph: &graph, names: &names)
                    graph.nodes[index].inputs[biasInput] = biasNode.outputs[0]
                    dequantizeNodes.append(biasNode)
                }
                weightCount += 1
            }
        }
        graph.nodes.insert(contentsOf: dequantizeNodes, at: 0)
        // Activation pairs, in graph order of the values they follow.
        var pairs = 0
        let graphInputs = Set(graph.inputs.map(\.name))
        var quantizedReaders: [String: Set<String>] = [:]
        for decision in plan.nodes where decision.quantized {
            for input in decision.inputs { quantizedReaders[input, default: []].insert(decision.node) }
        }
        for value in orderedPoints(graph) {
            guard let params = plan.points[value] else { continue }
            let (scaleName, zeroName) = addParameters(params, base: value, constant: false, graph: &graph, names: &names)
            let quantized = names.fresh(value + "_q")
            let dequantized = names.fresh(value + "_dq")
            if graphInputs.contains(value) {
                // A model input stays exact for its float readers (an output that copies the input,
                // a float side branch); those that run in int8, or whose own output is quantized (so
                // ONNX Runtime may fuse them), read the dequantized copy. A value computed in the
                // graph goes to every reader dequantized: a reader of the float value would keep
                // ONNX Runtime from fusing its producer into an integer kernel.
                for index in graph.nodes.indices {
                    let node = graph.nodes[index]
                    guard quantizedReaders[value]?.contains(node.displayName) == true || node.outputs.contains(where: { plan.points[$0] != nil })
                    else { continue }
                    for k in node.inputs.indices where node.inputs[k] == value { graph.nodes[index].inputs[k] = dequantized }
                }
            } else {
                graph.replaceUses(of: value, with: dequantized)
            }
            let insertAt = insertionIndex(after: value, in: graph)
            graph.nodes.insert(contentsOf: [
                Node(name: names.fresh(value + "_Q"), opType: "QuantizeLinear", inputs: [value, scaleName, zeroName!], outputs: [quantized]),
                Node(name: names.fresh(value + "_DQ"), opType: "DequantizeLinear", inputs: [quantized, scaleName, zeroName!], outputs: [dequantized]),
            ], at: insertAt)
            pairs += 1
        }
        model.graph = graph
        if model.opsetVersion() ?? 0 < 13 {
            throw QConvertError("the model's opset \(model.opsetVersion() ?? 0) is below 13, which per-axis DequantizeLinear needs; the prepare pipeline (upgrade-opset) raises it")
        }
        return PassReport(changes: weightCount + pairs, summary: "\(weightCount) weights quantized, \(pairs) activation pairs inserted")
    }

    /// Planned values sorted by where they are produced (graph inputs first), for a stable file.
    private func orderedPoints(_ graph: Graph) -> [String] {
        var position: [String: Int] = [:]
        for (k, input) in graph.inputs.enumerated() { position[input.name] = -graph.inputs.count + k }
        for (k, node) in graph.nodes.enumerated() { for output in node.outputs { position[output] = k } }
        return plan.points.keys.sorted { (position[$0] ?? .max, $0) < (position[$1] ?? .max, $1) }
    }

    /// Right after the node producing `value` (at the start for graph inputs and constants).
    private func insertionIndex(after value: String, in graph: Graph) -> Int {
        graph.nodes.firstIndex { $0.outputs.contains(value) }.map { $0 + 1 } ?? 0
    }

    /// Adds the scale initializer and a zero-point initializer shared by every pair with the same
    /// zero points; returns their names. The zero point is left out where DequantizeLinear's default
    /// (0 of the stored type) says the same: int32 biases, and int8 weights when `constant` (a
    /// QuantizeLinear needs it even then, or it would write uint8). Short names, shared and omitted
    /// zero points keep the file small: on a model as small as ppocr_cls, names and parameters
    /// would otherwise outweigh the int8 weights.
    private func addParameters(_ params: QuantParams, base: String, constant: Bool, graph: inout Graph, names: inout NameScope) -> (String, String?) {
        let scaleName = names.fresh(base + "_s")
        let shape: [Int] = params.axis == nil ? [] : [params.scales.count]
        graph.initializers[scaleName] = Tensor(shape: shape, scalars: params.scales)
        guard params.type != .int32, !(constant && params.type == .int8 && params.zeroPoints.allSatisfy { $0 == 0 }) else { return (scaleName, nil) }
        let key = "\(params.type)\(shape)\(params.zeroPoints)"
        if let shared = sharedZeroPoints.names[key] { return (scaleName, shared) }
        let zeroName = names.fresh(params.zeroPoints.allSatisfy { $0 == params.zeroPoints.first } ?
                                   Self.zeroPointName(params.type, params.zeroPoints.first ?? 0, shape: shape) : base + "_z")
        graph.initializers[zeroName] = params.type.tensor(shape: shape, params.zeroPoints)
        sharedZeroPoints.names[key] = zeroName
        return (scaleName, zeroName)
    }

    /// The name of a zero-point tensor holding `value` throughout `shape` (shared by every pair with it).
    static func zeroPointName(_ type: QuantType, _ value: Int32, shape: [Int]) -> String {
        "zero_point_\(type)_\(value)" + (shape.isEmpty ? "" : "_x\(shape[0])")
    }

    /// Zero-point initializers already written, by content.
    private final class ZeroPointTable {
        var names: [String: String] = [:]
    }

    private let sharedZeroPoints = ZeroPointTable()

    /// Stores an integer constant and returns a DequantizeLinear of it (not yet in the graph).
    /// `replacing`: only the quantized node read the float constant `base`, so it is removed and the
    /// DequantizeLinear's output takes its name (the Conv reads `conv1.weight` as in the float model);
    /// otherwise the output is `base_dq`. The node itself is left unnamed: its output names it, and
    /// on a model as small as ppocr_cls the names of 53 weight nodes are 0.8% of the int8 file.
    private func addDequantize(_ tensor: Tensor, params: QuantParams, base: String, replacing: Bool,
                               graph: inout Graph, names: inout NameScope) -> Node {
        let stored = names.fresh(base + "_q")
        graph.initializers[stored] = tensor
        let (scaleName, zeroName) = addParameters(params, base: base, constant: true, graph: &graph, names: &names)
        let output: String
        if replacing {
            graph.initializers[base] = nil
            output = base
        } else {
            output = names.fresh(base + "_dq")
        }
        var node = Node(name: "", opType: "DequantizeLinear", inputs: [stored, scaleName] + (zeroName.map { [$0] } ?? []),
                        outputs: [output])
        if let axis = params.axis { node.attributes = [Attribute(name: "axis", value: .int(Int64(axis)))] }
        return node
    }
}
