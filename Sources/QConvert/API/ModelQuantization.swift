import QConvertIR
import QConvertONNX

/// The main job, `qconvert MODEL --calib DIR`: prepare, calibrate, plan, materialise, write, and
/// measure the result on samples held out of calibration.
public enum ModelQuantization {
    /// What the quantize command was asked for.
    public struct Options: Sendable {
        public var model: String
        public var output: String?
        public var calibrationDirectory: String?
        public var samples: Int?
        /// Samples held out of calibration to measure output SQNR (taken from the end).
        public var holdout: Int?
        public var threads: Int = Parallel.defaultThreads
        public var method: CalibrationMethod = .minMax
        public var saveStats: String?
        public var loadStats: String?
        public var quantization = QuantizationOptions()
        public var preparation = Preparation.Options()
        public var externalData: WriteOptions.ExternalData = .automatic
        /// Measure the layerwise report on the held-out samples.
        public var report = true
        /// Keep the most sensitive layers float until the output SQNR on held-out samples reaches this.
        public var targetSQNR: Double?
        /// At most this many layers kept float by --target-sqnr (nil: one in ten compute layers).
        public var maxFloatLayers: Int?

        public init(model: String) {
            self.model = model
        }

        /// `dir/model.onnx` -> `dir/model.int8.onnx` unless -o is given.
        public var outputPath: String { output ?? OutputPaths.sibling(of: model, suffix: "int8") }
    }

    /// Runs the whole job. `progress(label, total)` may return a per-item callback for long steps.
    public static func run(
        _ options: Options, progress: (_ label: String, _ total: Int) -> (@Sendable (Int) -> Void)? = { _, _ in nil }
    ) throws -> QuantizationSummary {
        let output = options.outputPath
        try OutputPaths.checkNotAnInput(output, inputs: [options.model] + [options.calibrationDirectory, options.loadStats].compactMap { $0 })
        let clock = Stopwatch()
        let loaded = try ONNXReader.load(path: options.model)
        var timings: [String: Double] = [:]
        func timed<T>(_ step: String, _ body: () throws -> T) rethrows -> T {
            let start = Stopwatch()
            defer { timings[step] = start.seconds }
            return try body()
        }
        let prepared = try withContext(options.model) { try timed("prepare") { try Preparation.run(loaded.model, options: options.preparation) } }

        // Calibration (static mode only), on all samples but the held-out ones.
        var ranges: [String: ClosedRange<Float>] = [:]
        var holdout: CalibrationDataset?
        var calibrationSet: CalibrationDataset?
        var calibrationSamples = 0
        if options.quantization.mode == .static {
            let stats: CalibrationStats
            if let path = options.loadStats {
                stats = try CalibrationStats.load(path: path)
                try stats.check(against: prepared.model)
                if let directory = options.calibrationDirectory {
                    let dataset = try CalibrationDataset(directory: directory, inputs: prepared.model.graph.runtimeInputs, limit: options.samples)
                    let held = min(options.holdout ?? defaultHoldout(dataset.count), dataset.count - 1)
                    holdout = dataset.slice((dataset.count - held)..<dataset.count)
                    calibrationSet = dataset.slice(0..<(dataset.count - held))
                }
            } else {
                guard let directory = options.calibrationDirectory else {
                    throw QConvertError("static quantization needs calibration samples: pass --calib DIR (or --load-stats FILE, or --mode dynamic / weight-only)")
                }
                let dataset = try CalibrationDataset(directory: directory, inputs: prepared.model.graph.runtimeInputs, limit: options.samples)
                let held = min(options.holdout ?? defaultHoldout(dataset.count), dataset.count - 1)
                let calibration = dataset.slice(0..<(dataset.count - held))
                calibrationSet = calibration
                holdout = held > 0 ? dataset.slice((dataset.count - held)..<dataset.count) : nil
                stats = try withContext(options.model, unlessPrefixed: dataset.directory) {
                    try timed("calibrate") {
                        try Calibrator.calibrate(prepared.model, dataset: calibration, options: .init(threads: options.threads),
                                                 progress: progress("calibrating", calibration.count))
                    }
                }
                if let path = options.saveStats { try stats.save(to: path) }
            }
            calibrationSamples = stats.sampleCount
            let scheme = QuantizationScheme(type: options.quantization.activationType, symmetric: options.quantization.symmetricActivations)
            ranges = timed("ranges") { stats.ranges(method: options.method, scheme: scheme, threads: options.threads) }
        }

        // Plan and materialise.
        var model = prepared.model
        let context = prepared.context
        var plan = try withContext(options.model) {
            try timed("quantize") {
                _ = try UpgradeOpset().run(&model, context)
                return try QuantizationPlanner(model: model, units: context.units, ranges: ranges, options: options.quantization).plan()
            }
        }
        // Weight rounding: GPTQ on calibration inputs when asked for and possible.
        var rounded: [String: QuantizedWeights] = [:]
        if options.quantization.weightRounding == .gptq, let calibrationSet, calibrationSet.count > 0 {
            let samples = calibrationSet.slice(0..<min(options.quantization.gptqSamples, calibrationSet.count))
            rounded = try withContext(options.model, unlessPrefixed: samples.directory) {
                try timed("gptq") { try WeightRounding.gptq(model: model, plan: plan, samples: samples, threads: options.threads) }
            }
        }
        func materialize(_ plan: QuantizationPlan) throws -> Model {
            var quantized = model
            _ = try PassManager(verify: true, printer: { _ in }).run(
                [MaterializeQDQ(plan: plan, weights: rounded), EliminateDeadNodes()], on: &quantized, context: context)
            quantized.producerName = "qconvert"
            return quantized
        }
        var fallback: SensitivityFallback.Result?
        if let target = options.targetSQNR {
            guard let holdout, holdout.count > 0 else {
                throw QConvertError("--target-sqnr measures on held-out samples; none are held out (use --holdout N with --calib)")
            }
            let reference = try Interpreter(model: model, threads: options.threads)
            let candidates = plan.nodes.filter { $0.quantized && plan.weights[$0.node] != nil }.count
            let limit = options.maxFloatLayers ?? max(1, candidates / 10)
            let bar = progress("sensitivity", candidates)
            (plan, fallback) = try withContext(options.model, unlessPrefixed: holdout.directory) {
                try timed("fallback") {
                    try SensitivityFallback.run(plan: plan, targetSQNR: target, maxFloat: limit, measure: { candidate in
                        try OutputAgreement.measure(reference: reference, test: Interpreter(model: materialize(candidate), threads: options.threads),
                                                    dataset: holdout).worst
                    }, progress: { done, _ in bar?(done) })
                }
            }
        }
        let quantized = try withContext(options.model) { try timed("materialize") { try materialize(plan) } }
        let written = try timed("write") { try ONNXWriter.write(quantized, to: output, options: WriteOptions(externalData: options.externalData)) }

        // Output agreement and the layerwise report on held-out samples, in qconvert's own interpreter.
        var agreement: OutputAgreement?
        var report: LayerReport?
        if let holdout, holdout.count > 0 {
            agreement = try withContext(options.model, unlessPrefixed: holdout.directory) {
                try timed("evaluate") {
                    try OutputAgreement.measure(reference: Interpreter(model: model, threads: options.threads),
                                                test: Interpreter(model: quantized, threads: options.threads), dataset: holdout)
                }
            }
            if options.report {
                report = try withContext(options.model, unlessPrefixed: holdout.directory) {
                    try timed("report") {
                        var built = try LayerReportBuilder.build(.init(float: model, quantized: quantized, plan: plan, units: context.units,
                                                                       samples: holdout, threads: options.threads))
                        built.outputSQNR = agreement?.sqnr ?? [:]
                        return built
                    }
                }
            }
        }
        return QuantizationSummary(
            model: options.model, outputs: written, options: options.quantization, method: options.method.description,
            plan: plan, preparation: prepared.outcomes, calibrationSamples: calibrationSamples, agreement: agreement, report: report,
            fallback: fallback,
            floatBytes: fileBytes([options.model] + loaded.externalDataFiles.map { ONNXReaderPath.sibling(options.model, $0) }),
            quantizedBytes: fileBytes(written), seconds: clock.seconds, stepSeconds: timings)
    }

    /// Samples held out of calibration by default: one in eight, at most 8, none below 4 samples.
    static func defaultHoldout(_ count: Int) -> Int {
        count < 4 ? 0 : min(8, max(1, count / 8))
    }

    /// Runs `body`, prefixing errors that do not already name a file with the model's path.
    static func withContext<T>(_ model: String, unlessPrefixed other: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as QConvertError {
            if let other, error.description.hasPrefix(other) { throw error }
            throw error.context(model)
        }
    }

    static func fileBytes(_ paths: [String]) -> Int {
        paths.reduce(0) { total, path in total + ((try? MappedFile(path: path))?.bytes.count ?? 0) }
    }
}

/// Paths of files that sit next to a model.
enum ONNXReaderPath {
    static func sibling(_ model: String, _ name: String) -> String {
        guard let slash = model.lastIndex(of: "/") else { return name }
        return String(model[...slash]) + name
    }
}
