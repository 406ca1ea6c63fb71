import QConvertIR

/// What a quantize run did: what was quantized, what stayed float and why, sizes, output SQNR on
/// held-out samples, and where the time went. Printed after every run; `--json` prints it whole.
public struct QuantizationSummary: Codable, Sendable {
    public var model: String
    /// Files written (the model, and its external data file if any).
    public var outputs: [String]
    public var options: QuantizationOptions
    public var method: String
    /// With `--method auto`: the held-in output SQNR each method gave (with the rounding kept).
    public var methodScores: [String: Double]
    /// The method those scores chose, against MinMax on calibration samples GPTQ did not fit.
    public var methodCheck: MethodCheck?
    /// How weights were rounded ("auto: nearest" when chosen), and with `--weight-rounding auto` the
    /// output SQNR each rounding gave (with its range method) on calibration samples GPTQ did not fit.
    public var weightRounding: String
    public var roundingScores: [String: Double]
    /// The paired t statistic of nearest rounding against GPTQ on those samples: nearest is
    /// kept only from 2 up (see PairedComparison).
    public var roundingT: Double?
    public var plan: QuantizationPlan
    public var preparation: [PassManager.Outcome]
    /// Calibration samples at hand (not held out), whether or not the mode calibrates (weight-only
    /// runs fit GPTQ on them too); without `--calib`, those the loaded statistics came from.
    public var calibrationSamples: Int
    /// Output agreement with the float model on held-out samples (nil when none were held out).
    public var agreement: OutputAgreement?
    /// Why no samples were held out, when none were.
    public var noHoldoutReason: String?
    /// How many held-out samples the statistics of `--load-stats` were calibrated on (nil when
    /// none, or when the file lists no sample digests): their SQNR is then not on unseen samples.
    public var heldOutCalibrated: Int?
    /// What --target-sqnr's figures compare with: the model as prepared (BatchNorm folded, and
    /// equalized), whose float outputs differ from the original's by float rounding, which the
    /// output SQNR line compares with (a run read "inf" against 137.9 dB there).
    static let fallbackReference = " (held-out samples, against the prepared float model)"
    /// How many constants the input model stored quantized behind a DequantizeLinear (a weight-only
    /// output given again): quantized a second time from their dequantized values. nil when none.
    public var dequantizedWeights: Int?
    /// If/Loop/Scan bodies, left as they are (nil when the model has none).
    public var subgraphs: SubgraphContent?
    public var report: LayerReport?
    /// Where `--report` wrote it.
    public var reportFile: String?
    public var fallback: SensitivityFallback.Result?
    /// Shifts after a biased Conv, folded into its bias or kept separate; nil when no choice was
    /// made (the model has none, the options name Add or Sub, or no samples to measure on). The
    /// range method's and the rounding's scores above were measured before it, on the separate plan.
    public var shiftFolding: ShiftFolding?
    public var inputLayers: InputLayers?
    /// Exclusions without which the plan is the same (the flag or config entry, with the name), and
    /// `--integer-hardswish` on a model without HardSwish: each said in a note.
    public var idleExclusions: [String] = []
    /// With `--integer-hardswish`: how many of the model's HardSwish nodes run in integers.
    public var integerHardSwish: IntegerHardSwishCount?

    public struct IntegerHardSwishCount: Codable, Sendable {
        public var rewritten: Int
        public var hardSwish: Int
    }
    public var floatBytes: Int
    public var quantizedBytes: Int
    public var seconds: Double
    public var stepSeconds: [String: Double]

    /// The measured choice between folding the shifts that follow a Conv with a bias of its own
    /// into that bias and keeping them as float Adds (QuantizationJob.chooseShiftFolding).
    public struct ShiftFolding: Codable, Sendable {
        public var shifts: Int
        public var folded: Bool
        /// Calibration samples both were measured on, and the output SQNR each gave there.
        public var samples: Int
        public var foldedSQNR: Double
        public var separateSQNR: Double
        /// Paired t of separate against folded on those samples: kept separate only from 2 up.
        public var t: Double
    }

    /// The measured choice between keeping the model's first layers float and quantizing them
    /// (QuantizationJob.chooseInputLayers).
    public struct InputLayers: Codable, Sendable {
        /// The compute layers of the group that measured best float.
        public var layers: [String]
        public var kept: Bool
        /// Calibration samples both were measured on, and the output SQNR each gave there.
        public var samples: Int
        public var floatSQNR: Double
        public var quantizedSQNR: Double
        /// Paired t of float against quantized on those samples.
        public var t: Double
    }

    /// The method `--method auto` chose on the first calibration samples against MinMax on the
    /// samples GPTQ did not fit (QuantizationJob.confirmMethod).
    public struct MethodCheck: Codable, Sendable {
        /// The method chosen first.
        public var versus: String
        /// The last calibration samples (those GPTQ did not fit), and the worst output SQNR of each
        /// method on them.
        public var samples: Int
        public var chosenSQNR: Double
        public var minMaxSQNR: Double
        /// Whether MinMax's lead there exceeded the chosen method's lead on the first samples.
        public var switched: Bool
    }

    /// Quantized nodes per op type.
    public var quantizedByOp: [String: Int] {
        plan.nodes.filter(\.quantized).reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }

    /// Float nodes grouped by reason, then op type.
    public var floatByReason: [String: [String: Int]] {
        plan.nodes.filter { !$0.quantized }.reduce(into: [:]) { $0[$1.reason, default: [:]][$1.opType, default: 0] += 1 }
    }

    /// Op types ONNX Runtime's CPU QDQ fusion can run as integer kernels when they sit between
    /// DequantizeLinear and QuantizeLinear (QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool,
    /// QLinearGlobalAveragePool, QLinearSigmoid, QLinearLeakyRelu, QLinearSoftmax); others stay float there.
    static let runtimeIntegerOps: Set<String> = ["Add", "Mul", "Concat", "AveragePool", "GlobalAveragePool", "Sigmoid", "LeakyRelu", "Softmax"]

    /// Float nodes of the plan that the report measures because their inputs arrive dequantized and
    /// their output is quantized (a residual Add between int8 layers), per op type: ONNX Runtime's
    /// QDQ fusion runs some of them as integer ops (QLinearAdd, QLinearMul).
    public var floatBetweenQuantized: [String: Int] {
        let float = Set(plan.nodes.filter { !$0.quantized }.map(\.node))
        return (report?.rows ?? []).filter { float.contains($0.node) }.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 }
    }

    /// What the written file holds. Only static mode has a format choice and calibrated ranges:
    /// dynamic mode always writes DynamicQuantizeLinear + MatMulInteger/ConvInteger, weight-only mode
    /// int8 weights read through DequantizeLinear by float ops.
    var schemeText: String {
        switch options.mode {
        case .static:
            return "static, \(options.format.rawValue), \(options.activationType.rawValue) activations, \(options.weightBits)-bit weights, \(method)"
        case .dynamic:
            return "dynamic: activations quantized to uint8 at run time, \(options.weightBits)-bit weights"
        case .weightOnly:
            return "weight-only: \(options.weightBits)-bit weights, float compute"
        }
    }

    public var text: String {
        var lines: [String] = []
        let total = plan.nodes.count, quantized = plan.quantizedCount
        lines.append("wrote \(outputs.joined(separator: ", "))  (\(schemeText))")
        let ops = quantizedByOp.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        lines.append("quantized \(quantized) of \(Formatting.count(total, "node"))" + (ops.isEmpty ? "" : ": " + ops.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))
        if quantized < total {
            lines.append("kept float:")
            for (reason, byOp) in floatByReason.sorted(by: { $0.key < $1.key }) {
                let count = byOp.values.reduce(0, +)
                let detail = byOp.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                lines.append("  \(count) \(reason): " + detail.joined(separator: ", "))
            }
            let between = floatBetweenQuantized.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let fusable = between.filter { Self.runtimeIntegerOps.contains($0.key) }, other = between.filter { !Self.runtimeIntegerOps.contains($0.key) }
            if !fusable.isEmpty {
                lines.append("  of those, between quantized values (ONNX Runtime may fuse them into integer ops): "
                             + fusable.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
            if !other.isEmpty {
                lines.append("  of those, between quantized values (dequantized, run in float, quantized again): "
                             + other.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            }
        }
        if let subgraphs {
            let owners = subgraphs.owners.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            lines.append("not quantized: \(Formatting.count(subgraphs.nodes, "node")) (\(Formatting.count(subgraphs.floatWeights, "float weight"))) inside the bodies of \(owners): qconvert quantizes the main graph only")
        }
        if !methodScores.isEmpty && quantized > 0 {
            lines.append("range method: \(method) (output SQNR on calibration samples: " + methodScores.sorted { $0.key < $1.key }
                .map { "\($0.key) \(Formatting.fixed($0.value, digits: 1)) dB" }.joined(separator: ", ") + (methodCheck.map { check in
                    "; on the last \(Formatting.count(check.samples, "calibration sample")): \(check.versus) \(Formatting.fixed(check.chosenSQNR, digits: 1)) dB, "
                        + "minmax \(Formatting.fixed(check.minMaxSQNR, digits: 1)) dB" + (check.switched ? ", so minmax" : "")
                } ?? "") + ")")
        }
        if !roundingScores.isEmpty {
            let t = roundingT.map { "; nearest against gptq sample by sample: t = \(Formatting.fixed($0, digits: 1)), kept from \(Formatting.fixed(PairedComparison.threshold, digits: 0))" } ?? ""
            lines.append("weight rounding: \(weightRounding) (output SQNR on calibration samples GPTQ did not fit: " + roundingScores.sorted { $0.key < $1.key }
                .map { "\($0.key) \(Formatting.fixed($0.value, digits: 1)) dB" }.joined(separator: ", ") + t + ")")
        } else if options.weightRounding == .auto && options.mode != .dynamic && quantized > 0 {
            // No comparison was made: say why, whichever rounding that left.
            let why = weightRounding == "auto: gptq"
                ? "nearest rounding not compared: that needs 3 or more calibration samples beyond the first \(options.gptqSamples), "
                    + "which GPTQ fits on; \(calibrationSamples == 1 ? "there is 1" : "there are \(calibrationSamples)") in all"
                : "GPTQ needs calibration samples"
            lines.append("weight rounding: \(weightRounding) (\(why))")
        }
        if let integerHardSwish {
            lines.append("integer HardSwish: \(integerHardSwish.rewritten) of \(integerHardSwish.hardSwish) run as an integer Add and Mul"
                         + (integerHardSwish.rewritten < integerHardSwish.hardSwish ? " (the others are not between quantized values with at most a scalar Mul and Add after them)" : ""))
        }
        if let shiftFolding {
            let scores = PairedComparison.choiceText(samples: shiftFolding.samples, scores: [("folded", shiftFolding.foldedSQNR), ("separate", shiftFolding.separateSQNR)],
                                                     b: "separate", a: "folded", t: shiftFolding.t, margin: QuantizationJob.separateShiftsMargin)
            let forced = shiftFolding.folded && !QuantizationJob.foldsShifts(t: shiftFolding.t, separateSQNR: shiftFolding.separateSQNR, foldedSQNR: shiftFolding.foldedSQNR)
            lines.append("shifts after a biased Conv: \(shiftFolding.shifts) " + (shiftFolding.folded ? "folded into its bias" : "kept separate") + " (\(scores))"
                         + (forced ? "; folded for --integer-hardswish, as a float Add would keep the HardSwish after it float" : ""))
        }
        if let inputLayers {
            let scores = PairedComparison.choiceText(samples: inputLayers.samples, scores: [("float", inputLayers.floatSQNR), ("int8", inputLayers.quantizedSQNR)],
                                                     b: "float", a: "int8", t: inputLayers.t, margin: QuantizationJob.inputLayersMargin)
            lines.append("first layers: " + (inputLayers.kept ? "kept float" : "quantized") + " \(inputLayers.layers.joined(separator: ", ")) (\(scores))")
        }
        if !plan.floors.isEmpty {
            lines.append("grids from the readers' floor: \(Formatting.count(plan.floors.count, "value")) read only by ops that give one result "
                         + "below some point (HardSwish below -3, Relu below 0) start their grid there, not at their minimum")
        }
        if options.mode == .weightOnly, let matMuls = quantizedByOp["MatMul"] {
            lines.append("note: ONNX Runtime 1.32 runs the \(Formatting.count(matMuls, "int8-weight MatMul")) as MatMulNBits, which quantizes "
                         + "their inputs at run time (a few dB); session option session.qdq_matmulnbits_accuracy_level = 0 keeps float compute")
        }
        for exclusion in idleExclusions {
            lines.append("note: \(exclusion) changes nothing: the plan is the same without it")
        }
        if let dequantizedWeights {
            lines.append("note: the model stores \(Formatting.count(dequantizedWeights, "weight")) quantized already (a DequantizeLinear of a constant, "
                         + "as a weight-only model does); they were quantized again from their dequantized values, and the size below compares with "
                         + "that model: quantize the float original if there is one")
        }
        let ratio = floatBytes > 0 ? Double(quantizedBytes) / Double(floatBytes) : 0
        lines.append("size: \(Formatting.bytes(floatBytes)) -> \(Formatting.bytes(quantizedBytes)) (\(Formatting.fixed(ratio, digits: 2))x)")
        if let agreement {
            let values = OutputAgreement.listing(agreement.sqnr, parts: agreement.parts) { Formatting.fixed($0, digits: 1) }
            lines.append("output SQNR on \(Formatting.count(agreement.samples, "held-out sample")): " + values.joined(separator: ", "))
            if let heldOutCalibrated {
                lines.append("warning: \(heldOutCalibrated) of the held-out samples \(heldOutCalibrated == 1 ? "is" : "are") among those the loaded statistics were calibrated on, "
                             + "so this SQNR is not on unseen samples (calibrate without them, or hold out others)")
            }
            for output in agreement.zeroOutputs {
                lines.append("warning: the float model's output '\(output)' is 0 on every held-out sample, so its SQNR measures nothing "
                             + "(untrained weights, or samples that never reach it?)")
            }
        } else if options.mode == .static {
            lines.append("output SQNR: no samples held out (\(noHoldoutReason ?? "fewer than 4 calibration samples, or --holdout 0"))")
        }
        if let fallback, fallback.steps.isEmpty, fallback.initialSQNR >= fallback.targetSQNR {
            lines.append("target \(Formatting.fixed(fallback.targetSQNR, digits: 1)) dB\(Self.fallbackReference): already met (\(Formatting.fixed(fallback.initialSQNR, digits: 1)) dB), no layer kept float")
        } else if let fallback {
            let kept = fallback.steps.map { step in
                let name = step.nodes.map { "\(step.node) (\($0.joined(separator: ", ")))" } ?? step.node
                return (step.replaces.map { "then \(name) in place of \($0)" } ?? name) + " (+\(Formatting.fixed(step.gain, digits: 1)) dB)"
            }
            lines.append("target \(Formatting.fixed(fallback.targetSQNR, digits: 1)) dB\(Self.fallbackReference): \(Formatting.fixed(fallback.initialSQNR, digits: 1)) -> \(Formatting.fixed(fallback.finalSQNR, digits: 1)) dB with \(fallback.floatNodes.count) of \(fallback.candidates) layers kept float" + (kept.isEmpty ? "" : ": " + kept.joined(separator: ", ")))
            if let shortfall = fallback.shortfall { lines.append("target not reached: " + shortfall) }
            if !fallback.steps.isEmpty {
                lines.append("note: the held-out samples chose these layers and measure the result, which flatters it; "
                             + "measure on other samples with qconvert compare FLOAT QUANT --data DIR")
            }
        }
        if let report, !report.rows.isEmpty {
            lines += report.worstTable(10).split(separator: "\n").map(String.init)
            if let warning = report.pairSaturation.flatMap({ PairSaturation.warning($0, weightBits: options.weightBits) }) { lines.append("warning: " + warning) }
        }
        if let reportFile { lines.append("report: \(reportFile)") }
        let steps = ["prepare", "equalize", "calibrate", "ranges", "quantize", "gptq", "choose method", "choose rounding", "choose folding", "last layers", "input layers", "fallback", "materialize", "write", "evaluate", "report"].compactMap { step in
            stepSeconds[step].map { "\(step) \(Formatting.fixed($0, digits: 2)) s" }
        }
        lines.append("time: \(Formatting.fixed(seconds, digits: 2)) s (" + steps.joined(separator: ", ") + ")")
        // Each line on one line: names from the model may hold newlines.
        return lines.map(Formatting.oneLine).joined(separator: "\n")
    }
}
