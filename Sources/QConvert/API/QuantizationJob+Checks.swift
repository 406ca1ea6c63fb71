import QConvertIR

/// The main job's refusals of options and models it cannot quantize faithfully, found before any work.
extension QuantizationJob {
    /// `--weight-rounding gptq` where GPTQ cannot run is refused, not quietly replaced by nearest
    /// rounding (`auto` says in the summary why it rounded to nearest).
    func checkWeightRounding() throws {
        guard options.quantization.weightRounding == .gptq else { return }
        if options.quantization.mode == .dynamic {
            throw QConvertError("--weight-rounding gptq does not apply to --mode dynamic, whose weights are uint8 for ConvInteger/MatMulInteger, rounded to nearest")
        }
        if (calibration?.count ?? 0) == 0 {
            throw QConvertError("--weight-rounding gptq fits the weights to calibration samples, and there are none: pass --calib DIR")
        }
    }

    /// Op types named by --exclude-op or --config must be ops qconvert knows, and nodes named by
    /// --exclude or --config must be in the prepared model: a typo, or a node that preparation
    /// folded away, would otherwise be ignored without a word. So must an op type: one the main
    /// graph lacks, or whose nodes preparation removed or fused into layers still quantized, would
    /// change nothing.
    func checkNodeNames() throws {
        if let (given, known) = QuantizationConfig.unknownOpTypes(options.quantization).first {
            throw QConvertError("op type '\(given)' (given to \(source(given, flag: "--exclude-op", flagged: options.quantization.excludeOpTypes))) is not an op qconvert knows"
                                + (known.map { "; did you mean '\($0)'?" } ?? ""))
        }
        // A fused Relu/Clip runs inside its compute node's integer kernel: only that node can be
        // excluded or configured (a config entry for the activation was ignored without a word).
        let graph = prepared.model.graph, producers = graph.producers()
        // Each fused activation's node index -> the index of the compute node it runs inside.
        var fusedInto: [Int: Int] = [:]
        for unit in prepared.context.units where unit.kind == .computeActivation {
            if let activation = producers[unit.output], let head = producers[unit.values[0]] { fusedInto[activation] = head }
        }
        let named = options.quantization.excludeNodes + options.quantization.nodeOverrides.keys.sorted()
        for (index, headIndex) in fusedInto.sorted(by: { $0.key < $1.key }) where named.contains(graph.nodes[index].name) {
            let activation = graph.nodes[index], head = graph.nodes[headIndex]
            let flag = source(activation.name, flag: "--exclude", flagged: options.quantization.excludeNodes)
            throw QConvertError("node '\(activation.name)' (given to \(flag)) is fused into '\(head.displayName)' and runs inside it; \(flag == "--exclude" ? "exclude" : "configure") '\(head.displayName)' instead")
        }
        // The same for op types: one whose nodes preparation removed (BatchNormalization folded), or
        // whose every node left is fused into a compute node that stays quantized, would change nothing.
        for type in Set(options.quantization.excludeOpTypes + options.quantization.opTypeOverrides.keys).sorted() {
            let remaining = graph.nodes.indices.filter { graph.nodes[$0].opType == type }
            let flag = source(type, flag: "--exclude-op", flagged: options.quantization.excludeOpTypes)
            if remaining.isEmpty, loaded.model.graph.nodes.contains(where: { $0.opType == type }) {
                throw QConvertError("op type '\(type)' (given to \(flag)): preparation removes every such node (`qconvert prepare --stats` lists what it folds and removes)")
            }
            // As a node the model lacks is: an entry that changes nothing is not accepted in silence.
            if remaining.isEmpty {
                var inBodies = false
                loaded.model.graph.forEachGraph { inBodies = inBodies || $0.nodes.contains { $0.opType == type } }
                throw QConvertError("op type '\(type)' (given to \(flag)): " + (inBodies
                    ? "the model has \(type) nodes only inside If/Loop/Scan bodies, which qconvert does not quantize"
                    : "the model has no \(type) node (`qconvert inspect` lists its ops)"))
            }
            let heads = remaining.compactMap { fusedInto[$0].map { graph.nodes[$0] } }
            // Heads excluded too (--exclude-op Conv --exclude-op Relu) keep their activations float.
            let quantizedHeads = heads.filter { options.quantization.resolved(for: $0).quantize }.map(\.displayName)
            if !remaining.isEmpty, heads.count == remaining.count, !quantizedHeads.isEmpty {
                throw QConvertError("op type '\(type)' (given to \(flag)): every such node is fused into the node before it and runs inside it; "
                                    + "\(flag == "--exclude-op" ? "exclude" : "configure") those instead (\(quantizedHeads.prefix(3).map { "'\($0)'" }.joined(separator: ", "))\(quantizedHeads.count > 3 ? ", ..." : ""))")
            }
        }
        guard let name = QuantizationConfig.unknownNodes(options.quantization, in: prepared.model).first else { return }
        let original = Set(loaded.model.graph.nodes.map(\.name))
        throw QConvertError("node '\(name)' (given to \(source(name, flag: "--exclude", flagged: options.quantization.excludeNodes))) " + (original.contains(name)
            ? "is folded into another node by preparation (`qconvert prepare --stats` lists what it folds); name that node instead"
            : "is not in the model"))
    }

    /// Where a name the user gave came from: `flag`, or the config file (per-node and per-op-type
    /// settings, which library callers may set without one).
    func source(_ name: String, flag: String, flagged: [String]) -> String {
        flagged.contains(name) ? flag : options.configFile.map { "--config \($0)" } ?? "the per-node or per-op-type settings"
    }

    /// Static runs compile the model in the interpreter, which refuses a node with a bad attribute (a
    /// GRU direction "sideways", LpNormalization p = 3) in one line. Weight-only and dynamic runs need
    /// not run the model, so they compile each main-graph node the interpreter knows instead: the same
    /// refusal, while ops it lacks (a custom domain's) and subgraph bodies pass, as those modes leave
    /// them be; and shapes that cannot work are refused as the run would refuse them.
    func checkNodes() throws {
        let graph = prepared.model.graph
        let opsets = prepared.model.opsetVersions
        let constants = graph.constantTensors()
        for node in graph.nodes where node.subgraphs.isEmpty {
            let domain = Model.canonicalDomain(node.domain)
            guard let op = OpRegistry.lookup(type: node.opType, domain: domain) else { continue }
            let context = CompileContext(opsetVersion: opsets[domain] ?? opsets[""] ?? 1, opsets: opsets, constants: constants, outerScope: [],
                                         requantization: .float)
            do {
                _ = try op.compile(node, context)
            } catch let error as QConvertError {
                throw error.context("node '\(node.displayName)' (\(node.opType))")
            }
        }
        // Nor do they run the shapes through: inconsistent ones (which the run would meet) are
        // refused here, or the model written would be one ONNX Runtime refuses.
        try Preparation.refuseShapeConflicts(prepared.model)
    }

    /// qconvert quantizes float32 models. A float16 or bfloat16 one would come out unchanged
    /// (weight-only and dynamic modes find no float32 weight) or fail in a float32 kernel (static), so
    /// it is refused first, naming what is not float32.
    func checkFloat32() throws {
        let graph = prepared.model.graph
        let halves: Set<DataType> = [.float16, .bfloat16]
        let advice = "qconvert quantizes float32 models; convert this one to float32 first"
        if let input = graph.runtimeInputs.first(where: { $0.tensorType.map { halves.contains($0.elementType) } ?? false }),
           let type = input.tensorType?.elementType {
            throw QConvertError("\(options.model): input '\(input.name)' is \(type): \(advice)")
        }
        if let weight = try ruleConstants().first(where: { $0.isWeight && halves.contains($0.tensor.dataType) }) {
            throw QConvertError("\(options.model): weight '\(weight.name)' of node '\(weight.node.name)' is \(weight.tensor.dataType): \(advice)")
        }
    }

    /// A NaN or infinite weight (a corrupt file, or a BatchNorm variance below zero, whose folding
    /// takes its square root) would give NaN scales and a model that outputs NaN, written without
    /// a word: refuse it, naming the tensor and the node reading it. The weights checked are those
    /// the ops' quantization rules name (weight and bias of each compute node).
    func checkWeightsFinite() throws {
        // An empty weight (a Conv with no output channels, a MatMul with no columns) has no range
        // to quantize to: refused, as nothing downstream can describe it.
        if let empty = try ruleConstants().first(where: { $0.isWeight && $0.tensor.count == 0 }) {
            throw QConvertError("\(options.model): weight '\(empty.name)' of node '\(empty.node.name)' has no elements (shape \(empty.tensor.shape)), so nothing to quantize")
        }
        for constant in try ruleConstants() {
            guard let index = SampleValidation.firstNonFinite(constant.tensor) else { continue }
            throw QConvertError("\(options.model): initializer '\(constant.name)' (read by node '\(constant.node.name)', after preparation) has a non-finite value (NaN or infinity) at flat index \(index)")
        }
    }

    /// Every scale a QuantizeLinear, DequantizeLinear or QLinear* node of the written model reads
    /// must be finite and positive: one that is not is qconvert's own failure (the inputs were
    /// checked finite), and the model would compute NaN in any runtime, so it is not written (a
    /// weight column of denormals once made NaN of the equalization factors and of the scales after
    /// them). The float constants those nodes read are their scales, but for QuantizeLinear's input.
    static func checkScales(_ graph: Graph) throws {
        for node in graph.nodes where ["QuantizeLinear", "DequantizeLinear"].contains(node.opType) || node.opType.hasPrefix("QLinear") {
            for name in node.inputs.dropFirst(node.opType == "QuantizeLinear" ? 1 : 0) {
                guard let tensor = graph.initializers[name], tensor.dataType == .float, let scale = tensor.floats(),
                      let bad = scale.first(where: { !($0.isFinite && $0 > 0) }) else { continue }
                throw QConvertError("node '\(node.displayName)': qconvert computed the scale \(bad) in '\(name)', which no runtime can use; "
                                    + "nothing was written (this is a qconvert bug: please report it with the model)")
            }
        }
    }

    /// The constants the ops' quantization rules name in the prepared graph, in node order: each
    /// compute node's weight, then its bias; each weight an LSTM or GRU stores. What the refusals above check.
    func ruleConstants() throws -> [(node: Node, name: String, tensor: Tensor, isWeight: Bool)] {
        let graph = prepared.model.graph
        var constants: [(node: Node, name: String, tensor: Tensor, isWeight: Bool)] = []
        for node in graph.nodes {
            let named: [(Int, Bool)]
            switch try QuantizationRule.of(node, isConstant: { graph.initializers[$0] != nil })?.kind {
            case .compute(let weight, _, let bias)?: named = [(weight, true)] + (bias.map { [($0, false)] } ?? [])
            case .storedWeights(let inputs, _)?: named = inputs.map { ($0, true) }
            default: continue
            }
            for (input, isWeight) in named where input < node.inputs.count {
                if let tensor = graph.initializers[node.inputs[input]] { constants.append((node, node.inputs[input], tensor, isWeight)) }
            }
        }
        return constants
    }
}
