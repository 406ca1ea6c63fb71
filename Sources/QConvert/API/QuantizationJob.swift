import QConvertIR
import QConvertONNX

/// One run of the main job, step by step; the state each step leaves is what the next one reads.
/// Its refusals are in QuantizationJob+Checks, its measured choices in QuantizationJob+Choices.
final class QuantizationJob {
    let options: ModelQuantization.Options
    let progress: ModelQuantization.Progress
    private let clock = Stopwatch()
    private(set) var timings: [String: Double] = [:]

    var loaded: LoadedModel!
    var prepared: Preparation.Result!
    /// The prepared model (opset >= 14): what plans refer to and what gets quantized.
    var model: Model!
    var calibration: CalibrationDataset?
    var holdout: CalibrationDataset?
    /// The loaded float model's outputs on the held-out samples, computed before any output is
    /// written so that a sample the model cannot run fails the run with nothing written.
    var holdoutReference: OutputAgreement.Reference?
    var stats: CalibrationStats?
    /// How many held-out samples the statistics of `--load-stats` were calibrated on (nil: none known).
    var heldOutCalibrated: Int?
    /// For each weight the loaded model stored quantized and preparation dequantized, the nodes
    /// reading it (names survive equalization, which may rename the weight itself).
    var dequantizedWeightReaders: [Set<String>] = []
    var plan = QuantizationPlan()
    var method: CalibrationMethod = .minMax
    var methodScores: [String: Double] = [:]
    /// The weights as rounded (nearest for any node missing), how, and with `--weight-rounding auto`
    /// each rounding's output SQNR on the calibration samples GPTQ did not fit.
    var rounded: [String: WeightQuantization.Result] = [:]
    var rounding: WeightRoundingMethod = .nearest
    var roundingScores: [String: Double] = [:]
    /// Paired t of nearest against GPTQ on those samples (see PairedComparison).
    var roundingT: Double?
    /// The chosen range method against MinMax on the samples GPTQ did not fit (see confirmMethod).
    var methodCheck: QuantizationSummary.MethodCheck?
    /// Last-layer outputs measured to cost nothing when quantized (see quantizeTerminalOutputs).
    var terminalOutputs = Set<String>()
    /// Ranges by method, computed once from the statistics.
    var rangesByMethod: [CalibrationMethod: [String: ClosedRange<Float>]] = [:]
    /// The float model's outputs on the first calibration samples, which the searches compare against.
    var searchReference: Probe?
    /// The same on the samples GPTQ did not fit.
    var checkReference: Probe?
    /// Samples and the float model's outputs on them, which quantized candidates are measured against.
    typealias Probe = (samples: CalibrationDataset, reference: OutputAgreement.Reference)
    var fallback: SensitivityFallback.Result?
    /// The current plan's agreement on the samples GPTQ did not fit, when it was measured there (nil
    /// once a step changes the plan without measuring it).
    var planCheck: OutputAgreement?
    var shiftFolding: QuantizationSummary.ShiftFolding?
    var inputLayers: QuantizationSummary.InputLayers?

    init(options: ModelQuantization.Options, progress: @escaping ModelQuantization.Progress) {
        self.options = options
        self.progress = progress
    }

    func run() throws -> QuantizationSummary {
        if let conflict = options.quantization.staticOnlyConflict { throw QConvertError(conflict) }
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
        if options.externalData == .always { try ONNXWriter.checkLinkKeepsItsFolder(output) }
        loaded = try ONNXReader.load(path: options.model)
        // The model's external data files are inputs too, known once it is read; and the output's own
        // data file is no place for the statistics or the report.
        for (path, flag) in [(options.saveStats, "--save-stats"), (options.reportPath, "--report")] {
            guard let path else { continue }
            try OutputPaths.checkNotAnInput(path, inputs: loaded.inputFiles, flag: flag)
            for data in dataFile { try OutputPaths.checkDistinct(path, from: data, role: "the model's external data file") }
        }
        guard !loaded.model.graph.outputs.isEmpty else { throw QConvertError("\(options.model): the graph has no outputs, so nothing to quantize") }
        var preparation = options.preparation
        preparation.printAfter.subtract(Pipelines.afterPreparation)
        prepared = try step("prepare") { try Preparation.run(loaded.model, options: preparation) }
        dequantizedWeightReaders = Self.dequantizedWeightReaders(loaded: loaded.model.graph, prepared: prepared.model.graph)
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
            try chooseInputLayers()
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
            plan: plan, preparation: prepared.outcomes, calibrationSamples: calibration?.count ?? stats?.sampleCount ?? 0, agreement: agreement, report: report,
            fallback: fallback, shiftFolding: shiftFolding, inputLayers: inputLayers,
            floatBytes: ModelQuantization.fileBytes([options.model] + loaded.externalDataFiles.map { ModelQuantization.sibling(options.model, $0) }),
            quantizedBytes: ModelQuantization.fileBytes(written), seconds: clock.seconds, stepSeconds: timings)
        if holdout == nil { summary.noHoldoutReason = noHoldoutReason }
        summary.heldOutCalibrated = heldOutCalibrated
        summary.dequantizedWeights = dequantizedWeights()
        summary.idleExclusions = idle
        if options.quantization.integerHardSwish && options.quantization.mode == .static {
            func hardSwishes(_ m: Model) -> Int { m.graph.nodes.filter { $0.opType == "HardSwish" }.count }
            let total = hardSwishes(model!)
            if total > 0 {
                summary.integerHardSwish = .init(rewritten: total - hardSwishes(quantized), hardSwish: total)
            } else {
                summary.idleExclusions.append("--integer-hardswish")   // no HardSwish to run in integers
            }
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
    static func noReport(_ path: String) -> QConvertError {
        QConvertError("\(path): no report to write: the layerwise report needs held-out samples (--calib with 4 or more samples, --holdout 1 or more)")
    }

    /// Times a step and names the model in its errors (sample errors already name their file).
    func step<T>(_ name: String, samples: CalibrationDataset? = nil, _ body: () throws -> T) throws -> T {
        let start = Stopwatch()
        defer { timings[name, default: 0] += start.seconds }
        return try ModelQuantization.withContext(options.model, unlessPrefixed: samples?.directory, body)
    }

    /// Splits the samples (if any) into calibration and held-out ones. Weight-only and dynamic runs
    /// use them too when given: for GPTQ and the report.
    func splitSamples() throws {
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
    var noHoldoutReason: String {
        guard options.calibrationDirectory != nil else {
            return options.loadStats != nil ? "statistics from --load-stats and no --calib DIR to measure on" : "no --calib DIR"
        }
        return options.holdout == 0 ? "--holdout 0" : "fewer than 4 calibration samples"
    }

    /// Activation equalization on the prepared model, from per-channel maxima on a few calibration
    /// samples. Skipped with statistics files, which always describe the plain prepared model.
    func equalize() throws {
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
            try PassManager(verify: true, printAfter: options.preparation.printAfter.intersection(Pipelines.afterPreparation))
                .run([EqualizeActivations(maxima: maxima, throughHardSwish: !options.quantization.integerHardSwish)], on: &prepared.model, context: prepared.context)
        }
        prepared.outcomes += outcome
    }

    /// Static mode without samples or statistics; `run` says so once the model is known to be a
    /// float model it can quantize (an already-quantized model is refused first, more usefully).
    static let noSamples = QConvertError(
        "static quantization needs calibration samples: pass --calib DIR (or --load-stats FILE, or --mode dynamic / weight-only)")

    /// Statistics from calibration (or a file), on all samples but the held-out ones.
    func calibrate() throws {
        if let path = options.loadStats {
            let loaded = try CalibrationStats.load(path: path)
            do {
                try loaded.check(against: prepared.model)
                try loaded.checkOutputsFinite(of: prepared.model)
            } catch let error as QConvertError {
                throw error.context(path)
            }
            stats = loaded
            heldOutCalibrated = try samplesCalibrated(in: loaded)
            return
        }
        guard let calibration else { throw Self.noSamples }
        stats = try step("calibrate", samples: calibration) {
            try Calibrator.calibrate(prepared.model, dataset: calibration, options: .init(threads: options.threads),
                                     progress: progress("calibrating", calibration.count))
        }
    }

    /// The readers of each weight `loaded` stored quantized (a DequantizeLinear of a constant, as in
    /// a weight-only model) that preparation dequantized into a float initializer of `prepared`. A
    /// DequantizeLinear it left (a large weight, kept as it is) is not one.
    static func dequantizedWeightReaders(loaded: Graph, prepared: Graph) -> [Set<String>] {
        let readers = prepared.consumers()
        return loaded.nodes.compactMap { node in
            guard node.opType == "DequantizeLinear", let value = node.outputs.first, prepared.initializers[value] != nil else { return nil }
            return Set((readers[value] ?? []).map { prepared.nodes[$0].displayName })
        }
    }

    /// How many of those weights the plan quantizes again (nil for none).
    func dequantizedWeights() -> Int? {
        let quantized = plan.quantizedNodes
        let count = dequantizedWeightReaders.filter { !$0.isDisjoint(with: quantized) }.count
        return count > 0 ? count : nil
    }

    /// How many held-out samples `stats` lists among its sample digests, or nil for none (or no
    /// held-out samples, or a file without digests).
    func samplesCalibrated(in stats: CalibrationStats) throws -> Int? {
        guard let digests = stats.sampleDigests.map(Set.init), let holdout else { return nil }
        let count = try (0..<holdout.count).filter { index in try holdout.withSample(index) { digests.contains(SampleDigest.of($0)) } }.count
        return count > 0 ? count : nil
    }

    /// The range method as the summary and the diagnosis name it: "auto: mse" when auto chose it.
    var methodText: String {
        options.method == nil && options.quantization.mode == .static ? LayerDiagnosis.automaticPrefix + method.description : method.description
    }

    func ranges(for method: CalibrationMethod) throws -> [String: ClosedRange<Float>] {
        guard let stats else { return [:] }
        if let known = rangesByMethod[method] { return known }
        let scheme = QuantizationScheme(type: options.quantization.activationType, symmetric: options.quantization.symmetricActivations)
        let ranges = try step("ranges") { try stats.ranges(method: method, scheme: scheme, threads: options.threads) }
        rangesByMethod[method] = ranges
        return ranges
    }

    /// A plan from `ranges`; last-layer outputs taken (quantizeTerminalOutputs) keep their whole
    /// observed range, since no later layer averages out what clipping them would cut.
    func makePlan(ranges: [String: ClosedRange<Float>], options quantization: QuantizationOptions? = nil) throws -> QuantizationPlan {
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
    func idleExclusions(ranges: [String: ClosedRange<Float>]) throws -> [String] {
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

    /// The prepared model with `plan` put in: QDQ pairs (or dynamic integer ops), then the forms the
    /// options ask for (integer HardSwish, QOperator); what gets written and what the choices measure.
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

    /// The output SQNR on the held-out samples, and the layerwise report, of the file as written
    /// (read back, so a writer fault shows here) against the model as loaded (so a preparation fault
    /// does too); the report's intermediate values are matched in the prepared model, whose names
    /// the plan uses.
    func evaluate(written path: String) throws -> (OutputAgreement?, LayerReport?) {
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
