import ArgumentParser
import QConvert
import QConvertONNX

extension QuantizationOptions.Mode: ExpressibleByArgument {}
extension QuantizationOptions.Format: ExpressibleByArgument {}
/// Activations are uint8 or int8; int32 is a bias type only, so it is not offered.
extension QuantType: ExpressibleByArgument {
    public static var allValueStrings: [String] { [QuantType.uint8, .int8].map(\.rawValue) }
}
extension WeightRoundingMethod: ExpressibleByArgument {}

/// `qconvert [quantize] MODEL --calib DIR`: the main job.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a float ONNX model to int8 (the default command).",
        discussion: """
            Prepares the model (folds BatchNorm and constants), runs the calibration samples through it, \
            decides what to quantize, and writes MODEL.int8.onnx next to the input (or -o OUT). The last \
            samples (one in eight, at most 8) are held out to measure the output SQNR printed at the end.

            Examples:
              qconvert model.onnx --calib data/
              qconvert model.onnx --calib data/ --method percentile --percentile 99.99 -o model.q.onnx
              qconvert model.onnx --mode weight-only
            """
    )

    @Argument(help: "The float ONNX model.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the quantized model (default: MODEL.int8.onnx).")
    var output: String?

    @OptionGroup(title: "Calibration") var calibration: CalibrationOptions
    @OptionGroup(title: "Quantization") var scheme: SchemeOptions
    @OptionGroup(title: "Passes") var passes: PassOptions

    @Option(help: WriteOptions.ExternalData.help)
    var externalData: WriteOptions.ExternalData = .automatic

    @Option(help: ArgumentHelp("Also write the layerwise report here: .json (schema in README), .md or .html (one self-contained page with a chart).",
                               valueName: "path"))
    var report: String?

    @Flag(help: "Print the full summary as JSON.")
    var json = false

    func validate() throws {
        try requireNonEmpty([("<model>", model)])
        try requireNotAMistypedSubcommand(model)
        try requireNonEmpty([("--output", output), ("--report", report), ("--save-stats", calibration.saveStats),
                             ("--load-stats", calibration.loadStats), ("--config", scheme.config)])
        try calibration.validate(mode: scheme.mode)
        try scheme.validate()
        // Conflicts between the two groups' flags, refused as usage errors (exit 64) before the model
        // is read; the library refuses them too, for its own callers.
        if scheme.weightRounding == .gptq && scheme.mode == .dynamic {
            throw ValidationError("--weight-rounding gptq does not apply to --mode dynamic, whose weights are uint8 for ConvInteger/MatMulInteger, rounded to nearest")
        }
        if scheme.weightRounding == .gptq && calibration.calib == nil {
            throw ValidationError("--weight-rounding gptq fits the weights to calibration samples: pass --calib DIR")
        }
        if scheme.targetSqnr != nil && calibration.calib == nil {
            throw ValidationError("--target-sqnr measures on samples held out of --calib DIR, which is not given")
        }
        if scheme.targetSqnr != nil && calibration.holdout == 0 {
            throw ValidationError("--target-sqnr measures on held-out samples, and --holdout 0 holds none out")
        }
        if let report, (try? ReportWriter.format(of: report)) == nil {
            throw ValidationError("--report \(report): unknown format; name the file .json, .md or .html")
        }
    }

    func run() throws {
        var options = ModelQuantization.Options(model: model)
        options.output = output
        options.externalData = externalData
        options.reportPath = report
        options.preparation = Preparation.Options(verify: passes.verify, printAfter: Set(passes.printAfter), stopAfter: passes.stopAfter)
        try calibration.apply(to: &options)
        options.quantization = try scheme.options()
        options.configFile = scheme.config
        options.targetSQNR = scheme.targetSqnr
        options.maxFloatLayers = scheme.maxFloatLayers
        options.floatFirstLayers = scheme.floatFirstLayers
        let quiet = calibration.quiet
        var bars: [ProgressBar] = []
        let summary = try ModelQuantization.run(options) { label, total in
            guard ProgressBar.enabled(quiet: quiet) else { return nil }
            let bar = ProgressBar(label: label, total: total)
            bars.append(bar)
            return bar.update
        }
        bars.forEach { $0.finish() }
        if json {
            print(try JSONText.encode(summary))
        } else {
            if passes.stats { Terminal.output(Preparation.text(summary.preparation, timing: true)) }
            Terminal.output(summary.text)
        }
    }
}

/// Flags about calibration samples and statistics.
struct CalibrationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder of calibration samples (.npy, .npz, or test_data_set_* folders).", valueName: "dir"))
    var calib: String?

    @Option(help: "Range-setting method: auto (try each on calibration samples, keep the most accurate), minmax, percentile, entropy or mse.")
    var method = "auto"

    /// --method as typed, in any case (MSE, Auto).
    var methodName: String { method.lowercased() }

    @Option(parsing: .unconditional, help: "Percentile for --method percentile, and the one --method auto tries (default 99.999).")
    var percentile: Double?

    @Option(parsing: .unconditional, help: "Use at most this many samples.")
    var samples: Int?

    @Option(parsing: .unconditional, help: "Samples held out of calibration to measure output SQNR (default: 1 in 8, at most 8).")
    var holdout: Int?

    @Option(help: ArgumentHelp("Save calibration statistics to this JSON file.", valueName: "file"))
    var saveStats: String?

    @Option(help: ArgumentHelp("Use statistics from this file instead of running calibration.", valueName: "file"))
    var loadStats: String?

    @Option(parsing: .unconditional, help: "Threads; the default is every core.")
    var threads = Parallel.defaultThreads

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate(mode: QuantizationOptions.Mode) throws {
        if let percentile, (try? PercentileObserver.check(percentile)) == nil {
            throw ValidationError("--percentile must be above 50 and at most 100, got \(percentile)")
        }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if let holdout, holdout < 0 { throw ValidationError("--holdout must be 0 or more") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if methodName != "auto" && !CalibrationMethod.names.contains(methodName) {
            throw ValidationError("--method must be auto, \(CalibrationMethod.names.joined(separator: ", ")); got '\(method)'")
        }
        if percentile != nil && !["auto", "percentile"].contains(methodName) {
            throw ValidationError("--percentile applies to --method percentile (or auto, which tries it); --method is \(method)")
        }
        if saveStats != nil && loadStats != nil { throw ValidationError("--save-stats and --load-stats exclude each other") }
        // Without samples these would do nothing, in any mode.
        if calib == nil, let flag = samples != nil ? "--samples" : holdout != nil ? "--holdout" : nil {
            throw ValidationError("\(flag) chooses among the samples of --calib DIR, which is not given")
        }
        // Dynamic and weight-only mode set no activation ranges: these flags would do nothing.
        if mode != .static {
            if let flag = saveStats != nil ? "--save-stats" : loadStats != nil ? "--load-stats" : methodName != "auto" ? "--method" : percentile != nil ? "--percentile" : nil {
                throw ValidationError("\(flag) applies to --mode static; \(mode.rawValue) mode sets no activation ranges")
            }
        }
    }

    func apply(to options: inout ModelQuantization.Options) throws {
        options.calibrationDirectory = calib
        options.samples = samples
        options.holdout = holdout
        options.threads = threads
        options.saveStats = saveStats
        options.loadStats = loadStats
        options.method = methodName == "auto" ? nil : try CalibrationMethod(name: methodName, percentile: percentile ?? PercentileObserver.defaultPercentile)
        if let percentile, methodName == "auto" {
            options.autoPercentile = percentile
        }
    }
}

/// Flags about the integer scheme and what gets quantized.
struct SchemeOptions: ParsableArguments {
    @Option(help: "static (int8 weights and activations), dynamic (int8 weights, activations quantized at run time), or weight-only (int8 weights, float compute). LSTM, GRU and RNN compute in float on int8 weights in every mode.")
    var mode: QuantizationOptions.Mode = .static

    @Option(help: "qdq (QuantizeLinear/DequantizeLinear around standard ops) or qoperator (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd/Mul/Concat/GlobalAveragePool/Sigmoid/LeakyRelu, integer pass-through ops). Static mode only: dynamic and weight-only mode write one form.")
    var format: QuantizationOptions.Format = .qdq

    @Option(help: "Activation type: uint8 (asymmetric) or int8. Static mode only.")
    var activationType: QuantType = .uint8

    @Flag(help: "Symmetric activation ranges: real zero at the grid's middle (zero point 0 for int8, 128 for uint8). Static mode only.")
    var symmetricActivations = false

    @Flag(help: "Run HardSwish in integer arithmetic (an Add and a Mul ONNX Runtime fuses into QLinearAdd/QLinearMul) instead of in float between a DequantizeLinear and a QuantizeLinear, and do not equalize activations that come out of one. Faster in ONNX Runtime, less accurate (ppocrv4_det: 1.5x as fast as ORT's own model in a slow spell, 12.6 against 18.1 dB; README: Results). Static mode only.")
    var integerHardswish = false

    @Flag(inversion: .prefixedNo, help: "Run an Add or Mul of two activations in int8 where its output is quantized anyway (by default; QLinearAdd/QLinearMul in ONNX Runtime: squeeze-and-excitation gates, residual and feature-pyramid sums). One more rounding for each input not quantized before, such as an SE gate (README: What the default run does, step 4). --no-integer-arithmetic runs them in float between a DequantizeLinear and a QuantizeLinear. Static mode only.")
    var integerArithmetic = true

    @Option(help: ArgumentHelp(
        "Weight bits: 8, 7, or auto (8 on CPUs with VNNI, else 7: without VNNI, ONNX Runtime's u8 x s8 kernels add pairs of products in 16 bits, which 8-bit weights can overflow).",
        valueName: "bits"))
    var weightBits = "auto"

    @Flag(help: "One scale per weight tensor instead of per output channel.")
    var perTensor = false

    @Option(help: "Weight rounding: gptq (minimise each layer's output error on calibration samples; needs --calib, and not --mode dynamic), nearest, or auto (GPTQ, unless nearest rounding is clearly better, sample by sample, on calibration samples GPTQ did not fit; nearest without samples).")
    var weightRounding: WeightRoundingMethod = .auto

    @Option(help: ArgumentHelp("Keep this node in float (repeatable).", valueName: "node"))
    var exclude: [String] = []

    @Option(help: ArgumentHelp("Keep every node of this op type in float (repeatable); a Relu or Clip fused into a quantized layer runs inside it, so exclude that layer instead.", valueName: "op"))
    var excludeOp: [String] = []

    @Option(help: ArgumentHelp(
        "Per-op-type and per-node overrides: {\"op_types\": {\"MatMul\": {\"quantize\": false}}, \"nodes\": {\"NAME\": {\"weight_bits\": 7, \"per_channel\": false}}}. A node's entry wins over its op type's, which wins over the flags; unknown keys are errors.",
        valueName: "q.json"))
    var config: String?

    @Flag(inversion: .prefixedNo, help: "Keep the model's first layers float where that measures better than int8 on calibration samples (by default; README: What the default run does, step 9). --no-float-first-layers quantizes them whatever the measurement.")
    var floatFirstLayers = true

    @Option(parsing: .unconditional, help: ArgumentHelp("Keep the most sensitive layers float until the held-out output SQNR reaches this.", valueName: "dB"))
    var targetSqnr: Double?

    @Option(parsing: .unconditional, help: "At most this many layers kept float by --target-sqnr, counting the first layers kept float (default: one in ten compute layers).")
    var maxFloatLayers: Int?

    func validate() throws {
        if let targetSqnr, !targetSqnr.isFinite { throw ValidationError("--target-sqnr must be a number of dB, got \(targetSqnr)") }
        if let maxFloatLayers, maxFloatLayers < 0 { throw ValidationError("--max-float-layers must be 0 or more") }
        if !["auto", "7", "8"].contains(weightBits) { throw ValidationError("--weight-bits must be 7, 8 or auto") }
        if activationType == .int32 { throw ValidationError("--activation-type must be uint8 or int8") }
        if maxFloatLayers != nil && targetSqnr == nil { throw ValidationError("--max-float-layers limits --target-sqnr, which is not given") }
        if let conflict = flagOptions().staticOnlyConflict { throw ValidationError(conflict) }
        if !floatFirstLayers && mode != .static {
            throw ValidationError("--no-float-first-layers applies to --mode static; \(mode.rawValue) mode does not try its first layers float")
        }
    }

    /// The options the flags set, before `--config` overrides them.
    func flagOptions() -> QuantizationOptions {
        var options = QuantizationOptions()
        options.mode = mode
        options.format = format
        options.activationType = activationType
        options.symmetricActivations = symmetricActivations
        options.integerHardSwish = integerHardswish
        options.integerArithmetic = integerArithmetic
        options.weightBits = Int(weightBits) ?? CPUFeatures.safeWeightBits
        options.perChannel = !perTensor
        options.weightRounding = weightRounding
        options.excludeNodes = exclude
        options.excludeOpTypes = excludeOp
        return options
    }

    func options() throws -> QuantizationOptions {
        var options = flagOptions()
        if let config { try QuantizationConfig.load(path: config, into: &options) }
        return options
    }
}
