import QConvertIR

/// The main job's measured choices: the range method, the weight rounding, shift folding, last-layer
/// outputs and `--target-sqnr`'s float layers, each decided by running candidates on calibration samples.
extension QuantizationJob {
    /// The first (up to) 8 calibration samples and the float model's outputs on them, computed once.
    func searchSamples(_ stepName: String) throws -> Probe? {
        if let searchReference { return searchReference }
        guard let calibration, calibration.count > 0 else { return nil }
        searchReference = try probe(calibration.slice(0..<min(8, calibration.count)), step: stepName)
        return searchReference
    }

    /// The calibration samples GPTQ did not fit (`checkSlice`) and the float model's outputs on them, computed once.
    func checkSamples(_ slice: Range<Int>, _ calibration: CalibrationDataset, step stepName: String) throws -> Probe {
        if let checkReference { return checkReference }
        checkReference = try probe(calibration.slice(slice), step: stepName)
        return checkReference!
    }

    /// The calibration samples GPTQ did not fit, else the search samples: where a choice made after
    /// the rounding is measured. Nil without calibration samples.
    func unfittedSamples(_ stepName: String) throws -> Probe? {
        if let slice = checkSlice, let calibration { return try checkSamples(slice, calibration, step: stepName) }
        return try searchSamples(stepName)
    }

    /// `samples` with the float model's outputs on them.
    func probe(_ samples: CalibrationDataset, step stepName: String) throws -> Probe {
        (samples, try step(stepName, samples: samples) {
            try OutputAgreement.Reference(Interpreter(model: model, threads: options.threads), dataset: samples)
        })
    }

    /// How `candidate`'s outputs (with the weights in `rounded`) agree with the float model's on `probe`.
    func agreement(of candidate: QuantizationPlan, on probe: Probe, step stepName: String) throws -> OutputAgreement {
        try step(stepName, samples: probe.samples) {
            try OutputAgreement.measure(reference: probe.reference, test: Interpreter(model: materialize(candidate), threads: options.threads),
                                        dataset: probe.samples)
        }
    }

    /// Worst output SQNR of `candidate` against the float model on the search samples.
    func searchScore(_ candidate: QuantizationPlan, _ search: Probe, step stepName: String) throws -> Double {
        try agreement(of: candidate, on: search, step: stepName).worst
    }

    /// GPTQ on the first calibration samples, when asked for (or auto) and samples are at hand; the
    /// roundings left to choose from (nearest is an empty map). Auto keeps nearest rounding as a
    /// candidate only when there are samples GPTQ did not fit to compare them on.
    func roundWeights() throws -> [(WeightRoundingMethod, [String: WeightQuantization.Result])] {
        let asked = options.quantization.weightRounding
        // Dynamic mode's weights are uint8 around 128 for ConvInteger, always rounded to nearest.
        guard asked != .nearest, options.quantization.mode != .dynamic, let calibration, calibration.count > 0 else { return [(.nearest, [:])] }
        let samples = calibration.slice(0..<gptqSampleCount)
        let gptq = try step("gptq", samples: samples) {
            try WeightRounding.gptq(model: model, plan: plan, samples: samples, threads: options.threads)
        }
        return asked == .auto && checkSlice != nil ? [(.gptq, gptq), (.nearest, [:])] : [(.gptq, gptq)]
    }

    var gptqSampleCount: Int { min(options.quantization.gptqSamples, calibration?.count ?? 0) }

    /// The last calibration samples (at most 16, at least 3) after those GPTQ fits on, which decide
    /// between GPTQ and nearest rounding; nil when there are too few.
    var checkSlice: Range<Int>? {
        guard let count = calibration?.count, count - gptqSampleCount >= 3 else { return nil }
        return max(gptqSampleCount, count - 16)..<count
    }

    /// `--method auto` and `--weight-rounding auto`. For each rounding, the range method giving the
    /// best output SQNR on the search samples (ranges from every method come from the same
    /// statistics, so this costs one evaluation each). Then the rounding (`chooseRounding`), and the
    /// method confirmed against MinMax (`confirmMethod`).
    func choose(roundings: [(WeightRoundingMethod, [String: WeightQuantization.Result])]) throws {
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
    func chooseRounding(_ roundings: [(WeightRoundingMethod, [String: WeightQuantization.Result])], plans: [QuantizationPlan]) throws -> Int {
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
    func confirmMethod(against minMaxPlan: QuantizationPlan) throws -> Bool {
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
    func chooseShiftFolding() throws {
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
        guard let probe = try unfittedSamples("choose folding") else { return }
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
            // Measured on the samples GPTQ did not fit (when there are some), as planCheck is.
            (plan, planCheck) = (foldedPlan, checkSlice == nil ? nil : foldedAgreement)
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
        !PairedComparison.isBetter(t: t, gain: separateSQNR - foldedSQNR, margin: separateShiftsMargin)
    }

    /// The current plan's output SQNR on the search samples, when `choose` measured it (not once
    /// the shifts were folded, which made another plan).
    var planSearchScore: Double? {
        shiftFolding?.folded == true ? nil : methodScores[method.description]
    }

    /// Outputs of the last compute layers (those reading a bounded value, see the planner) stay
    /// float unless quantizing one (in graph order, on top of those already taken) keeps the output
    /// SQNR on calibration samples within 0.1 dB of the plan without any: then ONNX Runtime runs
    /// that layer in int8 too. yolov8n's DFL convolution (a fixed expectation over a 16-bin
    /// Softmax) costs 0.02 dB this way and saves a tenth of the model's latency.
    func quantizeTerminalOutputs() throws {
        guard !plan.terminalOutputs.isEmpty, let search = try searchSamples("last layers") else { return }
        let ranges = try ranges(for: method)
        let floor = try (planSearchScore ?? searchScore(plan, search, step: "last layers")) - 0.1
        for value in plan.terminalOutputs {
            terminalOutputs.insert(value)
            let candidate = try makePlan(ranges: ranges)
            if try searchScore(candidate, search, step: "last layers") >= floor {
                (plan, planCheck) = (candidate, nil)
            } else {
                terminalOutputs.remove(value)
            }
        }
    }

    /// The model's first layers (the SensitivityFallback.inputGroups group that measures best, the
    /// shallowest on a tie) kept float when that beats the all-int8 plan on the calibration samples
    /// GPTQ did not fit (else the search samples), sample by sample beyond noise (PairedComparison)
    /// and by `inputLayersMargin` on the output SQNR over those samples (the worst output's): their
    /// grids can clip the raw input's heavy tails where no range method does better (yolov8n_320:
    /// every other method's ranges for its first two layers cost 5-7 dB on the eval split), and a
    /// few float layers at the input cost little latency (in ONNX Runtime yolov8n_320 and
    /// ppocrv4_det ran as fast or faster with them float). The best of up to three groups is then
    /// tested on the samples that chose it, which favours keeping it; the margin is there for that
    /// too. A group is tried only if it holds at most one in ten of the compute layers (and no more
    /// than `--max-float-layers`), so what stays float is a deep model's input end, and not if it
    /// holds a node the config file names (its settings say how the user wants it quantized).
    /// `--no-float-first-layers` skips the step.
    func chooseInputLayers() throws {
        guard options.floatFirstLayers else { return }
        let limit = min(SensitivityFallback.candidates(plan).count / 10, options.maxFloatLayers ?? .max)
        let named = Set(options.quantization.nodeOverrides.keys)
        let groups = SensitivityFallback.inputGroups(plan, graph: model.graph).filter { $0.layers.count <= limit && $0.nodes.isDisjoint(with: named) }
        guard !groups.isEmpty else { return }
        guard let probe = try unfittedSamples("input layers") else { return }
        let quantized = try planCheck ?? agreement(of: plan, on: probe, step: "input layers")
        var best: (group: SensitivityFallback.Group, plan: QuantizationPlan, agreement: OutputAgreement)?
        for group in groups {
            let candidate = plan.keepingFloat(group.nodes, reason: "kept float: first layers, measured better float")
            let measured = try agreement(of: candidate, on: probe, step: "input layers")
            if measured.worst > best?.agreement.worst ?? -.infinity { best = (group, candidate, measured) }
        }
        guard let best else { return }
        let t = PairedComparison.t(best.agreement.perSample, minus: quantized.perSample)
        let keep = Self.keepsInputLayersFloat(t: t, floatSQNR: best.agreement.worst, quantizedSQNR: quantized.worst)
        inputLayers = .init(layers: best.group.layers, kept: keep, samples: probe.samples.count, floatSQNR: best.agreement.worst,
                            quantizedSQNR: quantized.worst, t: t)
        guard keep else { return }
        plan = best.plan
        planCheck = nil
    }

    /// How much better (output SQNR over the samples, dB) the first layers must measure float,
    /// beyond noise, to be kept float.
    static let inputLayersMargin = 1.0

    /// Whether the first layers stay float: better float sample by sample beyond noise (`t` of float
    /// minus int8) and by `inputLayersMargin` on the output SQNR over the samples.
    static func keepsInputLayersFloat(t: Double, floatSQNR: Double, quantizedSQNR: Double) -> Bool {
        PairedComparison.isBetter(t: t, gain: floatSQNR - quantizedSQNR, margin: inputLayersMargin)
    }

    /// `--target-sqnr`: keeps the most sensitive layers float, measured on the held-out samples as
    /// the worst output SQNR. Not the worst part of a Concat-assembled output: on yolov8n_320,
    /// aiming at the class scores raised them on the 8 held-out samples (16.4 -> 19.4 dB) and lowered
    /// them on the eval split (16.7 -> 14.9).
    func keepSensitiveLayersFloat(target: Double) throws {
        guard let holdout, holdout.count > 0 else {
            throw QConvertError("--target-sqnr measures on held-out samples; none are held out (use --holdout N with --calib)")
        }
        let reference = try step("fallback", samples: holdout) {
            try OutputAgreement.Reference(Interpreter(model: model, threads: options.threads), dataset: holdout)
        }
        // First layers the default kept float count against the limit, and the groups of first
        // layers are not tried again (on the plan without them they would be the next layers).
        let keptBefore = inputLayers?.kept == true ? inputLayers!.layers : []
        let candidates = SensitivityFallback.candidates(plan).count + keptBefore.count
        let limit = options.maxFloatLayers ?? max(1, candidates / 10)
        let groups = keptBefore.isEmpty ? SensitivityFallback.inputGroups(plan, graph: model.graph) : []
        // A bar per pass (a pass over the candidates, or a round of exchanges), named for what it counts.
        var bar: (@Sendable (Int) -> Void)?
        (plan, fallback) = try step("fallback", samples: holdout) {
            try SensitivityFallback.run(plan: plan, groups: groups, keptBefore: keptBefore, targetSQNR: target, maxFloat: limit, measure: { candidate in
                try OutputAgreement.measure(reference: reference, test: Interpreter(model: self.materialize(candidate), threads: self.options.threads),
                                            dataset: holdout).worst
            }, progress: { phase, done, total in
                if done == 1 { bar = self.progress(phase, total) }
                bar?(done)
            })
        }
    }
}
