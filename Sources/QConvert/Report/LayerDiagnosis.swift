/// A one-line reason and a suggested fix for the layers that lose the most precision, from the
/// evidence measured for them (`LayerEvidence`). Few rules, each a measured fact past a threshold;
/// the first that holds wins. A layer no rule explains gets no diagnosis rather than a guess.
public enum LayerDiagnosis {
    /// Saturation above this percent of the values entering the output's QuantizeLinear.
    public static let saturationPercent = 1.0
    /// Fewer than this percent of the values beyond 1/8 of the range: outliers set the scale.
    public static let outlierPercent = 0.1
    /// Concat inputs whose spans differ by more than this factor.
    public static let mixedRangeRatio = 10.0
    /// At least this fraction of channels spanning fewer than 4 steps.
    public static let tinyChannelFraction = 0.125
    /// Per-tensor weights whose narrowest channel reaches fewer levels than this.
    public static let narrowWeightLevels = 16
    /// 7-bit weights whose worst channel's grid (nearest rounding) is below this SQNR.
    public static let weightSQNR = 30.0
    /// An input whose grid is expected to keep less than this SQNR (8 bits keep about 40 dB of a
    /// well-spread distribution); also the local SQNR below which a layer's inputs are examined.
    public static let inputGridSQNR = 20.0
    /// Percent of a grid's expected error from clipping above which clipping is named the cause.
    public static let clippingErrorShare = 50.0
    /// A layer whose own error is this much smaller than the accumulated one inherits it.
    public static let inheritedMargin = 10.0

    public struct Finding: Sendable, Equatable {
        public var reason: String
        public var suggestion: String
    }

    /// How the range method reads when `--method auto` chose it ("auto: mse").
    public static let automaticPrefix = "auto: "

    /// The first rule that holds for `row`. `method` is the range method used (tailors the fix);
    /// `flags` names qconvert's flags in the fixes, false for a model another tool quantized
    /// (`compare`), where the fix is said in words that tool's user can act on.
    public static func diagnose(_ row: LayerReport.Row, method: String? = nil, flags: Bool = true, sensitivityMeasured: Bool = false) -> Finding? {
        let e = row.evidence
        // The value stays quantized while an int8 layer reads it: those are kept float too.
        let floatNodes = [row.node] + (e.int8Readers ?? [])
        let exclude = flags ? "keep it float (\(floatNodes.map { Formatting.shellOption("--exclude", $0) }.joined(separator: " ")))"
            : "keep it float (exclude \(floatNodes.joined(separator: ", ")) from quantization)"
        // "auto: entropy": the automatic choice measured the other range methods, so naming one
        // of them as the fix would send the user round in a circle.
        let automatic = method?.hasPrefix(automaticPrefix) == true
        let chosen = automatic ? method.map { String($0.dropFirst(automaticPrefix.count)) } : method
        // Under minmax the range already covers every calibration value: clipped ones came from elsewhere.
        let widen = chosen?.hasPrefix("minmax") == true
            ? "the calibration samples never reached these values: calibrate on more varied samples, or \(exclude)"
            : automatic ? "\(exclude); --method auto measured the other range methods worse"
            : flags ? "widen the range: --method minmax, or a higher --percentile" : "widen the range: MinMax calibration, or a higher percentile"
        let clippedAlready = automatic || (chosen.map { $0.hasPrefix("percentile") || $0.hasPrefix("mse") || $0.hasPrefix("entropy") } ?? false)
        let clip = clippedAlready ? "clip harder (a lower \(flags ? "--percentile" : "percentile")) or \(exclude)"
            : flags ? "clip the range: --method percentile or mse" : "clip the range: percentile, entropy or MSE calibration"
        if let saturation = row.saturationPercent, saturation >= saturationPercent {
            return Finding(reason: "saturates: \(percent(saturation)) of values clipped at the grid's ends", suggestion: widen)
        }
        // Clipping under 1% of the values can still be most of the loss: values far past the end.
        if let output = e.output, output.gridSQNR < inputGridSQNR, output.clippingErrorPercent >= clippingErrorShare,
           (row.local?.sqnr ?? -.infinity) < inputGridSQNR {
            return Finding(reason: "clipping dominates: the \(percent(output.saturationPercent)) of values clipped at the grid's ends make \(percent(output.clippingErrorPercent)) of its error (its grid keeps \(Formatting.fixed(output.gridSQNR, digits: 1)) dB)",
                           suggestion: widen)
        }
        if let outliers = e.outlierPercent, outliers < outlierPercent {
            return Finding(reason: "range dominated by outliers: \(percent(outliers)) of values set the scale (the rest use 1/8 of the levels)",
                           suggestion: clip)
        }
        if let spans = e.inputSpans, let low = spans.values.min(), let high = spans.values.max(), low > 0, high / low > mixedRangeRatio {
            return Finding(reason: "output mixes value ranges: inputs span \(number(low)) to \(number(high)) (\(Formatting.fixed(high / low, digits: 0))x) under one scale",
                           suggestion: exclude)
        }
        if let channels = e.channels, let tiny = e.tinyChannels, channels > 0, Double(tiny) >= tinyChannelFraction * Double(channels) {
            return Finding(reason: "\(e.depthwise ? "depthwise " : "")channels with tiny range: \(tiny) of \(channels) span < \(Int(LayerEvidence.tinyChannelSteps)) quantization steps",
                           suggestion: exclude)
        }
        if e.weightPerChannel == false, let channel = e.narrowestWeightChannel, let levels = e.narrowestWeightLevels, levels < narrowWeightLevels {
            return Finding(reason: "weight channel \(channel) uses only \(levels) levels of the per-tensor scale",
                           suggestion: flags ? "per-channel weights (drop --per-tensor)" : "per-channel weights")
        }
        if e.weightBits == 7, let worst = e.weightGridSQNR, worst < weightSQNR {
            return Finding(reason: "7-bit weights: the worst channel's grid gives \(Formatting.fixed(worst, digits: 1)) dB",
                           suggestion: "8-bit weights (\(flags ? "--weight-bits 8; " : "")exact in ONNX Runtime on CPUs with VNNI)")
        }
        if e.quantizedUpstream != false, let local = row.local?.sqnr, let accumulated = row.accumulated?.sqnr, local - accumulated >= inheritedMargin {
            let inherited = "error inherited from upstream: this layer alone \(Formatting.fixed(local, digits: 1)) dB, accumulated \(Formatting.fixed(accumulated, digits: 1)) dB"
            // The poorest layer upstream is a lead, not a verdict: yolov8n's second convolution
            // loses most alone (12.9 dB, clipping values its SiLU zeroes anyway), yet keeping it
            // float leaves the output SQNR where it was. Only measuring says which layers matter.
            // After --target-sqnr, suggesting it again would send the user round in a circle.
            let sensitivity = !flags ? "measure which upstream layers the output is most sensitive to (keep them float one at a time)"
                : sensitivityMeasured ? "--target-sqnr kept the upstream layers that mattered most float (see above); --max-float-layers lets it keep more"
                : "--target-sqnr DB measures which upstream layers the output is most sensitive to and keeps those float"
            guard let poorest = e.poorestUpstream, let sqnr = e.poorestUpstreamSQNR, sqnr < local else {
                return Finding(reason: inherited, suggestion: sensitivity)
            }
            return Finding(reason: inherited + "; of the layers before it, \(poorest) loses most alone (\(Formatting.fixed(sqnr, digits: 1)) dB)",
                           suggestion: sensitivity)
        }
        // The input's own quantization, last and only for a layer that is poor on its own: a cause
        // the output's evidence did not show, and part of this layer's local error.
        guard let inputs = e.inputs, (row.local?.sqnr ?? -.infinity) < inputGridSQNR else { return nil }
        if let input = inputs.max(by: { $0.saturationPercent < $1.saturationPercent }), input.saturationPercent >= saturationPercent {
            return Finding(reason: "input \(input.value) saturates: \(percent(input.saturationPercent)) of its values clipped at its grid's ends",
                           suggestion: widen)
        }
        if let input = inputs.min(by: { $0.outlierPercent < $1.outlierPercent }), input.outlierPercent < outlierPercent {
            return Finding(reason: "input \(input.value)'s range dominated by outliers: \(percent(input.outlierPercent)) of its values set its scale (the rest use 1/8 of the levels)",
                           suggestion: clip)
        }
        if let input = inputs.min(by: { $0.gridSQNR < $1.gridSQNR }), input.gridSQNR < inputGridSQNR {
            let clipping = input.clippingErrorPercent >= clippingErrorShare
            let cause = clipping
                ? "\(percent(input.clippingErrorPercent)) of that error from the \(percent(input.saturationPercent)) of values clipped at its ends"
                : "most of it rounding"
            return Finding(reason: "input \(input.value) keeps only \(Formatting.fixed(input.gridSQNR, digits: 1)) dB on its grid, \(cause)",
                           suggestion: clipping ? widen : exclude)
        }
        return nil
    }

    /// Rows to diagnose: the `count` worst by accumulated SQNR and the `count` worst by local SQNR.
    public static func candidates(_ rows: [LayerReport.Row], count: Int) -> Set<Int> {
        func worst(_ key: (LayerReport.Row) -> Double?) -> [Int] {
            rows.indices.compactMap { i in key(rows[i]).map { (i, $0) } }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(count).map(\.0)
        }
        return Set(worst { $0.accumulated?.sqnr } + worst { $0.local?.sqnr })
    }

    /// Sets the diagnosis of the candidate rows.
    public static func apply(to report: inout LayerReport, count: Int, method: String? = nil, flags: Bool = true, sensitivityMeasured: Bool = false) {
        for i in candidates(report.rows, count: count) {
            let finding = diagnose(report.rows[i], method: method, flags: flags, sensitivityMeasured: sensitivityMeasured)
            report.rows[i].diagnosis = finding?.reason
            report.rows[i].suggestion = finding?.suggestion
        }
    }

    static func percent(_ value: Double) -> String {
        (value >= 1 ? Formatting.fixed(value, digits: 1) : value >= 0.01 ? Formatting.fixed(value, digits: 2) : Formatting.fixed(value, digits: 4)) + "%"
    }

    static func number(_ value: Double) -> String {
        value >= 10 ? Formatting.fixed(value, digits: 0) : value >= 0.1 ? Formatting.fixed(value, digits: 2) : Formatting.scientific(value, digits: 1)
    }
}
