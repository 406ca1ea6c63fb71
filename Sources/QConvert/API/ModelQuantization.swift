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
        let inputs = [options.model] + [options.calibrationDirectory, options.loadStats].compactMap { $0 }
        try OutputPaths.checkNotAnInput(output, inputs: inputs)
        if let path = options.saveStats {
            try OutputPaths.checkNotAnInput(path, inputs: inputs)
            try OutputPaths.checkDistinct(path, from: output)
        }
        if let folder = options.calibrationDirectory {
            for path in [output] + [options.saveStats].compactMap({ $0 }) { try OutputPaths.checkOutside(path, folder: folder) }
        }
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
        var calibrationSamples = 0
        if options.quantization.mode == .static {
            let stats: CalibrationStats
            if let path = options.loadStats {
                stats = try CalibrationStats.load(path: path)
                try stats.check(against: prepared.model)
                if let directory = options.calibrationDirectory {
                    let dataset = try CalibrationDataset(directory: directory, inputs: prepared.model.graph.runtimeInputs, limit: options.samples)
                    holdout = dataset.slice(max(0, dataset.count - (options.holdout ?? defaultHoldout(dataset.count)))..<dataset.count)
                }
            } else {
                guard let directory = options.calibrationDirectory else {
                    throw QConvertError("static quantization needs calibration samples: pass --calib DIR (or --load-stats FILE, or --mode dynamic / weight-only)")
                }
                let dataset = try CalibrationDataset(directory: directory, inputs: prepared.model.graph.runtimeInputs, limit: options.samples)
                let held = min(options.holdout ?? defaultHoldout(dataset.count), dataset.count - 1)
                let calibration = dataset.slice(0..<(dataset.count - held))
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
        let (plan, quantized) = try withContext(options.model) {
            try timed("quantize") {
                _ = try UpgradeOpset().run(&model, context)
                let plan = try QuantizationPlanner(model: model, units: context.units, ranges: ranges, options: options.quantization).plan()
                var quantized = model
                _ = try PassManager(verify: true, printer: { _ in }).run(
                    [MaterializeQDQ(plan: plan), EliminateDeadNodes()], on: &quantized, context: context)
                quantized.producerName = "qconvert"
                return (plan, quantized)
            }
        }
        let written = try timed("write") { try ONNXWriter.write(quantized, to: output, options: WriteOptions(externalData: options.externalData, inputs: loaded.inputFiles)) }

        // Output agreement on held-out samples, in qconvert's own interpreter.
        var agreement: OutputAgreement?
        if let holdout, holdout.count > 0 {
            agreement = try withContext(options.model, unlessPrefixed: holdout.directory) {
                try timed("evaluate") {
                    try OutputAgreement.measure(reference: Interpreter(model: prepared.model, threads: options.threads),
                                                test: Interpreter(model: quantized, threads: options.threads), dataset: holdout)
                }
            }
        }
        return QuantizationSummary(
            model: options.model, outputs: written, options: options.quantization, method: options.method.description,
            plan: plan, preparation: prepared.outcomes, calibrationSamples: calibrationSamples, agreement: agreement,
            floatBytes: fileBytes(loaded.inputFiles),
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
