import QConvertIR
import QConvertONNX

/// One run of the main job, step by step; the state each step leaves is what the next one reads.
final class QuantizationJob {
    let options: ModelQuantization.Options
    let progress: ModelQuantization.Progress
    private let clock = Stopwatch()
    private(set) var timings: [String: Double] = [:]

    private var loaded: LoadedModel!
    private var prepared: Preparation.Result!
    /// The prepared model (opset >= 14): what plans refer to and what gets quantized.
    private var model: Model!
    private var calibration: CalibrationDataset?
    private var holdout: CalibrationDataset?
    /// The loaded float model's outputs on the held-out samples, computed before any output is
    /// written so that a sample the model cannot run fails the run with nothing written.
    private var holdoutReference: OutputAgreement.Reference?
    private var stats: CalibrationStats?
    private var plan = QuantizationPlan()
    private var method: CalibrationMethod = .minMax
    private var methodScores: [String: Double] = [:]
    /// The weights as rounded (nearest for any node missing), how, and with `--weight-rounding auto`
    /// each rounding's output SQNR on the calibration samples GPTQ did not fit.
    private var rounded: [String: WeightQuantization.Result] = [:]
    private var rounding: WeightRoundingMethod = .nearest
    private var roundingScores: [String: Double] = [:]
    /// Paired t of nearest against GPTQ on those samples (see PairedComparison).
    private var roundingT: Double?
    /// The chosen range method against MinMax on the samples GPTQ did not fit (see confirmMethod).
    private var methodCheck: QuantizationSummary.MethodCheck?
    /// Last-layer outputs measured to cost nothing when quantized (see quantizeTerminalOutputs).
    private var terminalOutputs = Set<String>()
    /// Ranges by method, computed once from the statistics.
    private var rangesByMethod: [CalibrationMethod: [String: ClosedRange<Float>]] = [:]
    /// The float model's outputs on the first calibration samples, which the searches compare against.
    private var searchReference: Probe?
    /// The same on the samples GPTQ did not fit.
    private var checkReference: Probe?
    /// Samples and the float model's outputs on them, which quantized candidates are measured against.
    private typealias Probe = (samples: CalibrationDataset, reference: OutputAgreement.Reference)
    private var fallback: SensitivityFallback.Result?
    /// The chosen plan's agreement on the samples GPTQ did not fit, when rounding was chosen on them.
    private var planCheck: OutputAgreement?
    private var shiftFolding: QuantizationSummary.ShiftFolding?

    init(options: ModelQuantization.Options, progress: @escaping ModelQuantization.Progress) {
        self.options = options
        self.progress = progress
    }

    func run() throws -> QuantizationSummary {
        if let conflict = QuantizationOptions.formatConflict(mode: options.quantization.mode, format: options.quantization.format) {
            throw QConvertError(conflict)
        }
        let output = options.outputPath
        let inputs = [options.model] + [options.calibrationDirectory, options.loadStats, options.configFile].compactMap { $0 }
        try OutputPaths.checkNotAnInput(output, inputs: inputs)
        if let path = options.saveStats {
            try OutputPaths.checkNotAnInput(path, inputs: inputs, flag: "--save-stats")
            try OutputPaths.checkDistinct(path, from: output)
        }
        if let reportPath = options.reportPath {
            try ReportWriter.check(reportPath)
            try OutputPaths.checkNotAnInput(reportPath, inputs: inputs + [output], flag: "--report")
            try OutputPaths.checkDistinct(reportPath, from: output)
            if let path = options.saveStats { try OutputPaths.checkDistinct(reportPath, from: path, role: "the statistics file (--save-stats)") }
        }
        // The output's external data file, where one may be written.
        let dataFile = options.externalData == .never ? [] : [ONNXWriter.dataFilePath(for: output)]
        if let folder = options.calibrationDirectory {
            // The data file too: a link of its name could lead inside.
            for path in [output] + dataFile + [options.saveStats, options.reportPath].compactMap({ $0 }) {
                try OutputPaths.checkOutside(path, folder: folder)
            }
        }
        // Every output, before the work: a statistics file or report that cannot be written should
        // not cost a whole run (and its error names that file alone).
        for path in [output] + [options.saveStats, options.reportPath].compactMap({ $0 }) { try OutputPaths.checkWritable(path) }
        loaded = try ONNXReader.load(path: options.model)
        // The model's external data files are inputs too, known once it is read; and the output's own
        // data file is no place for the statistics or the report.
        for (path, flag) in [(options.saveStats, "--save-stats"), (options.reportPath, "--report")] {
            guard let path else { continue }
            try OutputPaths.checkNotAnInput(path, inputs: loaded.inputFiles, flag: flag)
            for data in dataFile { try OutputPaths.checkDistinct(path, from: data, role: "the model's external data file") }
        }
        guard !loaded.model.graph.outputs.isEmpty else { throw QConvertError("\(options.model): the graph has no outputs, so nothing to quantize") }
        prepared = try step("prepare") { try Preparation.run(loaded.model, options: options.preparation) }
        try checkNodeNames()
        try ModelQuantization.withContext(options.model) { try Preparation.refuseQuantized(prepared.model.graph) }
        try checkFloat32()
        try checkWeightsFinite()
        if options.quantization.mode != .static { try ModelQuantization.withContext(options.model) { try checkNodes() } }
        if options.quantization.mode == .static, options.calibrationDirectory == nil, options.loadStats == nil { throw Self.noSamples }
        try splitSamples()
        try checkWeightRounding()
        if let reportPath = options.reportPath, holdout == nil { throw Self.noReport(reportPath) }
        if let holdout, holdout.count > 0 {
            holdoutReference = try step("evaluate", samples: holdout) {
                try OutputAgreement.Reference(Interpreter(model: loaded.model, threads: options.threads), dataset: holdout)
            }
        }
        if options.quantization.mode == .static {
            try equalize()
            try calibrate()
        }
        model = prepared.model
        let idle = try step("quantize") {
            let ranges = try ranges(for: options.method ?? .minMax)
            plan = try makePlan(ranges: ranges)
            return try idleExclusions(ranges: ranges)
        }
        try choose(roundings: try roundWeights())
        if options.quantization.mode == .static {
            try chooseShiftFolding()
            try quantizeTerminalOutputs()
        }
        if let target = options.targetSQNR { try keepSensitiveLayersFloat(target: target) }
        let quantized = try step("materialize") { try materialize(plan) }
        try Self.checkScales(quantized.graph)
        // The statistics are staged before the model is written and put in place after it, not
        // saved when calibration ends: a run that fails on the way (a sample whose float output
        // overflows, an unwritable destination, an interrupt) leaves neither file.
        var stagedStats: AtomicFile?
        if let path = options.saveStats, let stats { stagedStats = try step("write") { try stats.staged(at: path) } }
        let written = try step("write") { try ONNXWriter.write(quantized, to: output, options: WriteOptions(externalData: options.externalData, inputs: loaded.inputFiles)) }
        try step("write") { try stagedStats?.commit() }
        let (agreement, report) = try evaluate(written: output)
        let roundingText = options.quantization.weightRounding == .auto ? "auto: \(rounding.rawValue)" : rounding.rawValue
        var summary = QuantizationSummary(
            model: options.model, outputs: written, options: options.quantization, method: methodText, methodScores: methodScores,
            methodCheck: methodCheck, weightRounding: roundingText, roundingScores: roundingScores, roundingT: roundingT,
            plan: plan, preparation: prepared.outcomes, calibrationSamples: stats?.sampleCount ?? 0, agreement: agreement, report: report,
            fallback: fallback, shiftFolding: shiftFolding,
            floatBytes: ModelQuantization.fileBytes([options.model] + loaded.externalDataFiles.map { ModelQuantization.sibling(options.model, $0) }),
            quantizedBytes: ModelQuantization.fileBytes(written), seconds: clock.seconds, stepSeconds: timings)
        if holdout == nil { summary.noHoldoutReason = noHoldoutReason }
        summary.idleExclusions = idle
        if options.quantization.integerHardSwish && options.quantization.mode == .static {
            func hardSwishes(_ m: Model) -> Int { m.graph.nodes.filter { $0.opType == "HardSwish" }.count }
            let total = hardSwishes(model!)
            if total > 0 { summary.integerHardSwish = .init(rewritten: total - hardSwishes(quantized), hardSwish: total) }
        }
        let subgraphs = SubgraphContent(prepared.model.graph)
        if !subgraphs.owners.isEmpty { summary.subgraphs = subgraphs }
        if let reportPath = options.reportPath {
            guard let document = ReportDocument(summary, nodeCount: loaded.model.graph.nodes.count) else { throw Self.noReport(reportPath) }
            do {
                try ReportWriter.write(document, to: reportPath)
            } catch let error as QConvertError {
                // Said so: the run fails, but the model it wrote is complete and in place.
                throw QConvertError("\(error.description) (the quantized model was written to \(output))")
            }
            summary.reportFile = reportPath
        }
        return summary
    }

    /// `--report` without held-out samples to measure on: found before any work, so nothing is written.
    private static func noReport(_ path: String) -> QConvertError {
        QConvertError("\(path): no report to write: the layerwise report needs held-out samples (--calib with 4 or more samples, --holdout 1 or more)")
    }

    /// `--weight-rounding gptq` where GPTQ cannot run is refused, not quietly replaced by nearest
    /// rounding (`auto` says in the summary why it rounded to nearest).
    private func checkWeightRounding() throws {
        guard options.quantization.weightRounding == .gptq else { return }
        if options.quantization.mode == .dynamic {
            throw QConvertError("--weight-rounding gptq does not apply to --mode dynamic, whose weights are uint8 for ConvInteger/MatMulInteger, rounded to nearest")
        }
        if (calibration?.count ?? 0) == 0 {
            throw QConvertError("--weight-rounding gptq fits the weights to calibration samples, and there are none: pass --calib DIR")
        }
    }

    /// Times a step and names the model in its errors (sample errors already name their file).
    private func step<T>(_ name: String, samples: CalibrationDataset? = nil, _ body: () throws -> T) throws -> T {
        let start = Stopwatch()
        defer { timings[name, default: 0] += start.seconds }
        return try ModelQuantization.withContext(options.model, unlessPrefixed: samples?.directory, body)
    }

    /// Op types named by --exclude-op or --config must be ops qconvert knows, and nodes named by
    /// --exclude or --config must be in the prepared model: a typo, or a node that preparation
    /// folded away, would otherwise be ignored without a word. So must an op type: one the main
    /// graph lacks, or whose nodes preparation removed or fused into layers still quantized, would
    /// change nothing.
    private func checkNodeNames() throws {
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
    private func source(_ name: String, flag: String, flagged: [String]) -> String {
        flagged.contains(name) ? flag : options.configFile.map { "--config \($0)" } ?? "the per-node or per-op-type settings"
    }

    /// Static runs compile the model in the interpreter, which refuses a node with a bad attribute (a
    /// GRU direction "sideways", LpNormalization p = 3) in one line. Weight-only and dynamic runs need
    /// not run the model, so they compile each main-graph node the interpreter knows instead: the same
    /// refusal, while ops it lacks (a custom domain's) and subgraph bodies pass, as those modes leave
    /// them be; and shapes that cannot work are refused as the run would refuse them.
    private func checkNodes() throws {
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
    private func checkFloat32() throws {
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
    private func checkWeightsFinite() throws {
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
    private func ruleConstants() throws -> [(node: Node, name: String, tensor: Tensor, isWeight: Bool)] {
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

    /// Splits the samples (if any) into calibration and held-out ones. Weight-only and dynamic runs
    /// use them too when given: for GPTQ and the report.
    private func splitSamples() throws {
        guard let directory = options.calibrationDirectory else { return }
        let dataset = try CalibrationDataset(directory: directory, inputs: prepared.model.graph.runtimeInputs, limit: options.samples)
        if let asked = options.holdout, asked >= dataset.count {
            throw QConvertError("--holdout \(asked): \(directory) has \(dataset.count) samples, so at most \(dataset.count - 1) can be held out (the rest calibrate)")
        }
        let held = min(options.holdout ?? ModelQuantization.defaultHoldout(dataset.count), dataset.count - 1)
        calibration = dataset.slice(0..<(dataset.count - held))
        holdout = held > 0 ? dataset.slice((dataset.count - held)..<dataset.count) : nil
        // Every sample is checked before the model is written (a bad one failed the run after it):
        // the held-out ones when the float model runs on them next, and the calibration ones here
        // unless calibration reads them all anyway (static mode without --load-stats), which saves
        // reading a large folder twice.
        if options.quantization.mode != .static || options.loadStats != nil { try calibration?.validate() }
    }

    /// Why `splitSamples` held none out.
    private var noHoldoutReason: String {
        guard options.calibrationDirectory != nil else {
            return options.loadStats != nil ? "statistics from --load-stats and no --calib DIR to measure on" : "no --calib DIR"
        }
        return options.holdout == 0 ? "--holdout 0" : "fewer than 4 calibration samples"
    }

    /// Activation equalization on the prepared model, from per-channel maxima on a few calibration
    /// samples. Skipped with statistics files, which always describe the plain prepared model.
    private func equalize() throws {
        guard options.quantization.equalizeActivations, options.loadStats == nil, options.saveStats == nil,
              let calibration, calibration.count > 0 else { return }
        let graph = prepared.model.graph
        let constants = Set(graph.initializers.keys)
        // Inputs of quantized compute layers, with the axis their weights index (Conv: 1; MatMul,
        // Gemm: last). A value read on two different axes is left alone.
        var candidates: [String: Int] = [:], conflicting = Set<String>()
        for node in graph.nodes {
            guard let rule = try QuantizationRule.of(node, isConstant: { constants.contains($0) }),
                  case .compute = rule.kind, options.quantization.resolved(for: node).quantize
            else { continue }
            let axis = node.opType == "Conv" ? 1 : -1
            if let existing = candidates[node.inputs[0]], existing != axis { conflicting.insert(node.inputs[0]) }
            candidates[node.inputs[0]] = axis
        }
        for value in conflicting { candidates.removeValue(forKey: value) }
        let samples = calibration.slice(0..<min(16, calibration.count))
        let maxima = try step("equalize", samples: samples) {
            try ChannelMaxima.collect(model: prepared.model, values: candidates, samples: samples, threads: options.threads)
        }
        let outcome = try step("equalize") {
            try PassManager(verify: true, printer: { _ in }).run([EqualizeActivations(maxima: maxima, throughHardSwish: !options.quantization.integerHardSwish)],
                                                                 on: &prepared.model, context: prepared.context)
        }
        prepared.outcomes += outcome
    }

    /// Statistics from calibration (or a file), on all samples but the held-out ones.
    /// Static mode without samples or statistics; `run` says so once the model is known to be a
    /// float model it can quantize (an already-quantized model is refused first, more usefully).
    private static let noSamples = QConvertError(
        "static quantization needs calibration samples: pass --calib DIR (or --load-stats FILE, or --mode dynamic / weight-only)")

    private func calibrate() throws {
        if let path = options.loadStats {
            let loaded = try CalibrationStats.load(path: path)
            do {
                try loaded.check(against: prepared.model)
                try loaded.checkOutputsFinite(of: prepared.model)
            } catch let error as QConvertError {
                throw error.context(path)
            }
            stats = loaded
            return
        }
        guard let calibration else { throw Self.noSamples }
        stats = try step("calibrate", samples: calibration) {
            try Calibrator.calibrate(prepared.model, dataset: calibration, options: .init(threads: options.threads),
                                     progress: progress("calibrating", calibration.count))
        }
    }

    /// The range method as the summary and the diagnosis name it: "auto: mse" when auto chose it.
    private var methodText: String {
        options.method == nil && options.quantization.mode == .static ? LayerDiagnosis.automaticPrefix + method.description : method.description
    }

    private func ranges(for method: CalibrationMethod) throws -> [String: ClosedRange<Float>] {
        guard let stats else { return [:] }
        if let known = rangesByMethod[method] { return known }
        let scheme = QuantizationScheme(type: options.quantization.activationType, symmetric: options.quantization.symmetricActivations)
        let ranges = try step("ranges") { try stats.ranges(method: method, scheme: scheme, threads: options.threads) }
        rangesByMethod[method] = ranges
        return ranges
    }

    /// A plan from `ranges`; last-layer outputs taken (quantizeTerminalOutputs) keep their whole
    /// observed range, since no later layer averages out what clipping them would cut.
    private func makePlan(ranges: [String: ClosedRange<Float>], options quantization: QuantizationOptions? = nil) throws -> QuantizationPlan {
        var ranges = ranges
        if !terminalOutputs.isEmpty {
            let observed = try self.ranges(for: .minMax)
            for value in terminalOutputs { ranges[value] = observed[value] ?? ranges[value] }
        }
        return try QuantizationPlanner(model: model, units: prepared.context.units, ranges: ranges, options: quantization ?? options.quantization,
                                       terminalOutputs: terminalOutputs).plan()
    }

    /// Exclusions that change nothing: an `--exclude NODE` or `--exclude-op TYPE`, or a config entry's
    /// `"quantize": false`, without which the plan is the same (a Softmax with no int8 neighbour, a
    /// node another entry quantizes anyway). Said in the summary rather than refused: the model written
    /// is the one asked for, but a user who excluded a layer to fix its error should know the error is
    /// elsewhere. Not said of exclusions naming an Add or Sub (shift folding keeps those it names) or a
    /// compute layer (equalization scales only the inputs of layers to be quantized): those steer
    /// more than the plan.
    private func idleExclusions(ranges: [String: ClosedRange<Float>]) throws -> [String] {
        let q = options.quantization, graph = model.graph, constants = Set(graph.initializers.keys)
        let config = options.configFile.map { "--config \($0)" } ?? "the per-node or per-op-type settings"
        // Each exclusion: how it is named, the nodes it names, and the options without it.
        var exclusions: [(label: String, nodes: [Node], without: QuantizationOptions)] = []
        func add(_ label: String, naming named: (Node) -> Bool, removing remove: (inout QuantizationOptions) -> Void) {
            var without = q
            remove(&without)
            exclusions.append((label, graph.nodes.filter(named), without))
        }
        for type in q.excludeOpTypes {
            add("--exclude-op \(type)", naming: { $0.opType == type }) { $0.excludeOpTypes.removeAll { $0 == type } }
        }
        for name in q.excludeNodes {
            add("--exclude \(name)", naming: { $0.name == name }) { $0.excludeNodes.removeAll { $0 == name } }
        }
        for (type, entry) in q.opTypeOverrides.sorted(by: { $0.key < $1.key }) where entry.quantize == false {
            add("\(config) (op type \(type), quantize false)", naming: { $0.opType == type }) { $0.opTypeOverrides[type]?.quantize = nil }
        }
        for (name, entry) in q.nodeOverrides.sorted(by: { $0.key < $1.key }) where entry.quantize == false {
            add("\(config) (node \(name), quantize false)", naming: { $0.name == name }) { $0.nodeOverrides[name]?.quantize = nil }
        }
        func steersMore(_ node: Node) throws -> Bool {
            guard !["Add", "Sub"].contains(node.opType) else { return true }
            if let rule = try QuantizationRule.of(node, isConstant: { constants.contains($0) }), case .compute = rule.kind { return true }
            return false
        }
        let quantized = plan.quantizedNodes
        return try exclusions.filter { exclusion in
            try !exclusion.nodes.contains(where: steersMore) && makePlan(ranges: ranges, options: exclusion.without).quantizedNodes == quantized
        }.map(\.label)
    }

    /// The first (up to) 8 calibration samples and the float model's outputs on them, computed once.
    private func searchSamples(_ stepName: String) throws -> Probe? {
        if let searchReference { return searchReference }
        guard let calibration, calibration.count > 0 else { return nil }
        searchReference = try probe(calibration.slice(0..<min(8, calibration.count)), step: stepName)
        return searchReference
    }

    /// The calibration samples GPTQ did not fit (`checkSlice`) and the float model's outputs on them, computed once.
    private func checkSamples(_ slice: Range<Int>, _ calibration: CalibrationDataset, step stepName: String) throws -> Probe {
        if let checkReference { return checkReference }
        checkReference = try probe(calibration.slice(slice), step: stepName)
        return checkReference!
    }

    /// `samples` with the float model's outputs on them.
    private func probe(_ samples: CalibrationDataset, step stepName: String) throws -> Probe {
        (samples, try step(stepName, samples: samples) {
            try OutputAgreement.Reference(Interpreter(model: model, threads: options.threads), dataset: samples)
        })
    }

    /// How `candidate`'s outputs (with the weights in `rounded`) agree with the float model's on `probe`.
    private func agreement(of candidate: QuantizationPlan, on probe: Probe, step stepName: String) throws -> OutputAgreement {
        try step(stepName, samples: probe.samples) {
            try OutputAgreement.measure(reference: probe.reference, test: Interpreter(model: materialize(candidate), threads: options.threads),
                                        dataset: probe.samples)
        }
    }

    /// Worst output SQNR of `candidate` against the float model on the search samples.
    private func searchScore(_ candidate: QuantizationPlan, _ search: Probe, step stepName: String) throws -> Double {
        try agreement(of: candidate, on: search, step: stepName).worst
    }

    func materialize(_ plan: QuantizationPlan) throws -> Model {
        var quantized = model!
        // Dynamic mode: nodes without an integer form keep float compute on int8 weights (MaterializeQDQ
        // finds only those left, the others having become integer ops; the plan has no activation pairs).
        var passes: [any Pass] = options.quantization.mode == .dynamic ? [MaterializeDynamic(plan: plan), MaterializeQDQ(plan: plan)]
                                                                       : [MaterializeQDQ(plan: plan, weights: rounded)]
        if options.quantization.mode == .static && options.quantization.integerHardSwish { passes.append(IntegerHardSwish()) }
        if options.quantization.mode == .static && options.quantization.format == .qoperator { passes.append(ConvertToQOperator()) }
        _ = try PassManager(verify: true, printer: { _ in }).run(passes + [EliminateDeadNodes()], on: &quantized, context: prepared.context)
        // Shapes inferred during preparation are not written: runtimes infer them again, and on
        // ppocr_cls they would add 3% to the file. The names the input model declared keep theirs
        // (as preparation left them: shape inference may have filled in a declared unknown).
        let declared = loaded.model.graph.valueInfo
        quantized.graph.valueInfo = quantized.graph.valueInfo.filter { declared[$0.key] != nil }
        quantized.producerName = QConvertVersion.producerName
        quantized.producerVersion = QConvertVersion.current
        return quantized
    }

    /// GPTQ on the first calibration samples, when asked for (or auto) and samples are at hand; the
    /// roundings left to choose from (nearest is an empty map). Auto keeps nearest rounding as a
    /// candidate only when there are samples GPTQ did not fit to compare them on.
    private func roundWeights() throws -> [(WeightRoundingMethod, [String: WeightQuantization.Result])] {
        let asked = options.quantization.weightRounding
        // Dynamic mode's weights are uint8 around 128 for ConvInteger, always rounded to nearest.
        guard asked != .nearest, options.quantization.mode != .dynamic, let calibration, calibration.count > 0 else { return [(.nearest, [:])] }
        let samples = calibration.slice(0..<gptqSampleCount)
        let gptq = try step("gptq", samples: samples) {
            try WeightRounding.gptq(model: model, plan: plan, samples: samples, threads: options.threads)
        }
        return asked == .auto && checkSlice != nil ? [(.gptq, gptq), (.nearest, [:])] : [(.gptq, gptq)]
    }

    private var gptqSampleCount: Int { min(options.quantization.gptqSamples, calibration?.count ?? 0) }

    /// The last calibration samples (at most 16, at least 3) after those GPTQ fits on, which decide
    /// between GPTQ and nearest rounding; nil when there are too few.
    private var checkSlice: Range<Int>? {
        guard let count = calibration?.count, count - gptqSampleCount >= 3 else { return nil }
        return max(gptqSampleCount, count - 16)..<count
    }

    /// `--method auto` and `--weight-rounding auto`. For each rounding, the range method giving the
    /// best output SQNR on the search samples (ranges from every method come from the same
    /// statistics, so this costs one evaluation each). Then the rounding (`chooseRounding`), and the
    /// method confirmed against MinMax (`confirmMethod`).
    private func choose(roundings: [(WeightRoundingMethod, [String: WeightQuantization.Result])]) throws {
        let methods = options.method.map { [$0] } ?? (options.quantization.mode == .static
            ? [CalibrationMethod.minMax, .percentile(options.autoPercentile), .entropy, .mse] : [.minMax])
        (rounding, rounded, method) = (roundings[0].0, roundings[0].1, methods[0])
        guard methods.count * roundings.count > 1 else { return }
        let search = methods.count > 1 ? try searchSamples("choose method") : nil
        // The plans do not depend on the rounding: built once, measured with each rounding's weights.
        let candidates = search == nil ? [] : try methods.map { try makePlan(ranges: try ranges(for: $0)) }
        var finalists: [(method: CalibrationMethod, plan: QuantizationPlan, scores: [String: Double])] = []
        for (_, weights) in roundings {
            guard let search else {
                finalists.append((methods[0], plan, [:]))
                continue
            }
            rounded = weights
            var scores: [String: Double] = [:]
            var best: (CalibrationMethod, QuantizationPlan, Double)?
            for (candidate, candidatePlan) in zip(methods, candidates) {
                let sqnr = try searchScore(candidatePlan, search, step: "choose method")
                scores[candidate.description] = sqnr
                if best == nil || sqnr > best!.2 { best = (candidate, candidatePlan, sqnr) }
            }
            finalists.append((best!.0, best!.1, scores))
        }
        var chosen = try chooseRounding(roundings, plans: finalists.map(\.plan))
        (rounding, rounded) = roundings[chosen]
        (method, plan, methodScores) = (finalists[chosen].method, finalists[chosen].plan, finalists[chosen].scores)
        if let minMax = zip(methods, candidates).first(where: { $0.0 == .minMax })?.1, try confirmMethod(against: minMax) {
            // The roundings are compared again, both with MinMax's ranges.
            chosen = try chooseRounding(roundings, plans: roundings.map { _ in minMax })
            (rounding, rounded) = roundings[chosen]
            (method, plan, methodScores) = (.minMax, minMax, finalists[chosen].scores)
        }
    }

    /// GPTQ's rounding (index 0) is kept unless nearest rounding's (1) beats it, sample by sample
    /// beyond noise (PairedComparison), on the samples GPTQ did not fit, each with its plan: on its
    /// own samples GPTQ looks better than it is (ppocrv4_rec: GPTQ 15.0 dB against 21.9 dB for
    /// nearest rounding on its held-out samples, 15.2 against 17.2 dB on the eval split).
    private func chooseRounding(_ roundings: [(WeightRoundingMethod, [String: WeightQuantization.Result])], plans: [QuantizationPlan]) throws -> Int {
        guard roundings.count == 2, let slice = checkSlice, let calibration else { return 0 }
        let check = try checkSamples(slice, calibration, step: "choose rounding")
        let agreements = try roundings.indices.map { k in
            rounded = roundings[k].1
            return try agreement(of: plans[k], on: check, step: "choose rounding")
        }
        roundingScores = [roundings[0].0.rawValue: agreements[0].worst, roundings[1].0.rawValue: agreements[1].worst]
        let (nearest, gptq) = (agreements[1].perSample, agreements[0].perSample)
        roundingT = PairedComparison.t(nearest, minus: gptq)
        let chosen = PairedComparison.isBetter(nearest, than: gptq) ? 1 : 0
        planCheck = agreements[chosen]
        return chosen
    }

    /// Whether the range method chosen on the search samples gives way to MinMax, which clips
    /// nothing calibration saw: when MinMax is ahead on the samples GPTQ did not fit (with the
    /// rounding chosen) by more than the choice was ahead on the search samples (worst output SQNR,
    /// dB), since the first samples can lack tails the others hold. Found by a differential review:
    /// on i.i.d. data whose first 8 samples missed them, auto chose entropy (1.5 dB ahead there) and
    /// wrote a model 15 dB below MinMax's (28.6 against 43.4 dB on the eval samples).
    private func confirmMethod(against minMaxPlan: QuantizationPlan) throws -> Bool {
        guard method != .minMax, let slice = checkSlice, let calibration, let ahead = methodScores[method.description],
              let minMaxScore = methodScores[CalibrationMethod.minMax.description]
        else { return false }
        let check = try checkSamples(slice, calibration, step: "choose method")
        let chosen = try planCheck ?? agreement(of: plan, on: check, step: "choose method")
        let minMax = try agreement(of: minMaxPlan, on: check, step: "choose method")
        let switched = minMax.worst - chosen.worst > ahead - minMaxScore
        methodCheck = .init(versus: method.description, samples: check.samples.count, chosenSQNR: chosen.worst, minMaxSQNR: minMax.worst,
                            switched: switched)
        planCheck = switched ? minMax : chosen
        return switched
    }

    /// Shifts (an Add or Sub of a constant) after a Conv/Gemm that has a bias of its own, as
    /// PP-LCNetV3 ends every Conv: folded into that bias, or kept as separate float ops. Folding is
    /// exact in float, but the Conv's output grid then covers the shifted values, and which is better
    /// depends on the model (see FoldChannelAffine). Both plans, with the range method and rounding
    /// already chosen (for the separate one, which gives it the edge), are measured on the
    /// calibration samples GPTQ did not fit (else the search samples); the shifts fold unless keeping
    /// them separate is better sample by sample beyond noise (PairedComparison) and by
    /// `separateShiftsMargin`, since the folded model runs faster (no float Add between the Conv and
    /// its activation); with `integerHardSwish` they always fold. One calibration serves
    /// both: it observes the Conv's output and the shifted value, and the Conv's weights, which GPTQ
    /// rounded, are unchanged. A Relu/Clip that folding puts right after its Conv is fused with it,
    /// as preparation would have. Nodes and op types the options name keep their shifts.
    private func chooseShiftFolding() throws {
        let q = options.quantization
        guard !plan.nodes.filter(\.quantized).isEmpty, Set(q.excludeOpTypes + q.opTypeOverrides.keys).isDisjoint(with: ["Add", "Sub"]) else { return }
        var folded = model!
        let foldedContext = PassContext()
        let outcome = try step("choose folding") {
            try PassManager(verify: true, printer: { _ in }).run(
                [FoldChannelAffine(shiftsAfterBias: true, keep: Set(q.excludeNodes + q.nodeOverrides.keys)), FuseConvActivation()],
                on: &folded, context: foldedContext)
        }
        guard let shifts = outcome.first?.report.changes, shifts > 0 else { return }
        let probe: Probe
        if let slice = checkSlice, let calibration {
            probe = try checkSamples(slice, calibration, step: "choose folding")
        } else if let search = try searchSamples("choose folding") {
            probe = search
        } else {
            return
        }
        let separate = try planCheck ?? agreement(of: plan, on: probe, step: "choose folding")
        let (separateModel, separateContext) = (model!, prepared.context)
        (model, prepared.context) = (folded, foldedContext)
        let foldedPlan = try step("choose folding") { try makePlan(ranges: try ranges(for: method)) }
        let foldedAgreement = try agreement(of: foldedPlan, on: probe, step: "choose folding")
        let t = PairedComparison.t(separate.perSample, minus: foldedAgreement.perSample)
        // A float Add left before a HardSwish would keep that HardSwish float (IntegerHardSwish reads
        // a dequantized input), undoing what --integer-hardswish asks for.
        let fold = q.integerHardSwish && folded.graph.nodes.contains { $0.opType == "HardSwish" }
            || Self.foldsShifts(t: t, separateSQNR: separate.worst, foldedSQNR: foldedAgreement.worst)
        shiftFolding = .init(shifts: shifts, folded: fold, samples: probe.samples.count, foldedSQNR: foldedAgreement.worst,
                             separateSQNR: separate.worst, t: t)
        if fold {
            (plan, planCheck) = (foldedPlan, nil)
        } else {
            (model, prepared.context) = (separateModel, separateContext)
        }
    }

    /// How much better (worst-sample output SQNR, dB) separate shifts must be, beyond noise, to be
    /// kept: the folded model runs faster (ppocrv4_det in ONNX Runtime: 38-40 ms folded, 47 ms
    /// separate), and smaller gains on the check samples did not hold on the eval split (ppocrv4_det
    /// with grids from the readers' floor: separate 18.3 against 17.8 dB folded on 12 samples,
    /// t = 2.2; on the eval split 15.8 against 16.3 dB).
    static let separateShiftsMargin = 1.0

    /// Whether the shifts fold: unless separate shifts are better sample by sample beyond noise
    /// (`t` of separate minus folded) and by `separateShiftsMargin` on the worst sample's SQNR.
    static func foldsShifts(t: Double, separateSQNR: Double, foldedSQNR: Double) -> Bool {
        t < PairedComparison.threshold || separateSQNR - foldedSQNR < separateShiftsMargin
    }

    /// The current plan's output SQNR on the search samples, when `choose` measured it (not once
    /// the shifts were folded, which made another plan).
    private var planSearchScore: Double? {
        shiftFolding?.folded == true ? nil : methodScores[method.description]
    }

    /// Outputs of the last compute layers (those reading a bounded value, see the planner) stay
    /// float unless quantizing one (in graph order, on top of those already taken) keeps the output
    /// SQNR on calibration samples within 0.1 dB of the plan without any: then ONNX Runtime runs
    /// that layer in int8 too. yolov8n's DFL convolution (a fixed expectation over a 16-bin
    /// Softmax) costs 0.02 dB this way and saves a tenth of the model's latency.
    private func quantizeTerminalOutputs() throws {
        guard !plan.terminalOutputs.isEmpty, let search = try searchSamples("last layers") else { return }
        let ranges = try ranges(for: method)
        let floor = try (planSearchScore ?? searchScore(plan, search, step: "last layers")) - 0.1
        for value in plan.terminalOutputs {
            terminalOutputs.insert(value)
            let candidate = try makePlan(ranges: ranges)
            if try searchScore(candidate, search, step: "last layers") >= floor {
                plan = candidate
            } else {
                terminalOutputs.remove(value)
            }
        }
    }

    /// `--target-sqnr`: keeps the most sensitive layers float, measured on the held-out samples as
    /// the worst output SQNR. Not the worst part of a Concat-assembled output: on yolov8n_320,
    /// aiming at the class scores raised them on the 8 held-out samples (16.4 -> 19.4 dB) and lowered
    /// them on the eval split (16.7 -> 14.9).
    private func keepSensitiveLayersFloat(target: Double) throws {
        guard let holdout, holdout.count > 0 else {
            throw QConvertError("--target-sqnr measures on held-out samples; none are held out (use --holdout N with --calib)")
        }
        let reference = try step("fallback", samples: holdout) {
            try OutputAgreement.Reference(Interpreter(model: model, threads: options.threads), dataset: holdout)
        }
        let candidates = SensitivityFallback.candidates(plan).count
        let limit = options.maxFloatLayers ?? max(1, candidates / 10)
        // A bar per pass (a pass over the candidates, or a round of exchanges), named for what it counts.
        var bar: (@Sendable (Int) -> Void)?
        (plan, fallback) = try step("fallback", samples: holdout) {
            try SensitivityFallback.run(plan: plan, targetSQNR: target, maxFloat: limit, measure: { candidate in
                try OutputAgreement.measure(reference: reference, test: Interpreter(model: self.materialize(candidate), threads: self.options.threads),
                                            dataset: holdout).worst
            }, progress: { phase, done, total in
                if done == 1 { bar = self.progress(phase, total) }
                bar?(done)
            })
        }
    }

    /// Output agreement and the layerwise report on the held-out samples.
    /// The output SQNR on the held-out samples, and the layerwise report, of the file as written
    /// (read back, so a writer fault shows here) against the model as loaded (so a preparation fault
    /// does too); the report's intermediate values are matched in the prepared model, whose names
    /// the plan uses.
    private func evaluate(written path: String) throws -> (OutputAgreement?, LayerReport?) {
        guard let holdout, let holdoutReference else { return (nil, nil) }
        let quantized = try step("evaluate") { try ONNXReader.read(path: path) }
        let agreement = try step("evaluate", samples: holdout) {
            try OutputAgreement.measure(reference: holdoutReference, test: Interpreter(model: quantized, threads: options.threads), dataset: holdout)
        }
        guard options.report else { return (agreement, nil) }
        var report = try step("report", samples: holdout) {
            var inputs = LayerReportBuilder.Inputs(float: model, quantized: quantized, samples: holdout, threads: options.threads)
            inputs.histograms = stats?.tensors
            inputs.plan = plan
            inputs.method = methodText
            inputs.sensitivityMeasured = !(fallback?.steps.isEmpty ?? true)
            return try LayerReportBuilder.build(inputs)
        }
        report.outputSQNR = agreement.sqnr
        report.outputParts = agreement.parts
        return (agreement, report)
    }
}
