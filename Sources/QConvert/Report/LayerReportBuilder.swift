import QConvertIR

/// Builds the layerwise report for a quantized model (as written) against its float original on
/// some samples: the same for `quantize` (held-out samples, calibration histograms, the plan's
/// reasons) and for `compare` (any pair, distributions from the samples themselves).
public enum LayerReportBuilder {
    public struct Inputs {
        public var float: Model
        public var quantized: Model
        /// Samples for the accumulated error (held out of calibration, for quantize).
        public var samples: CalibrationDataset
        /// At most this many of them for the local error.
        public var localSamples: Int
        public var threads: Int
        /// Calibration histograms by value, when the caller has them; else histograms of the samples.
        public var histograms: [String: Histogram]?
        /// qconvert's plan, for each node's reason and weight bits.
        public var plan: QuantizationPlan?
        /// Range method used, to tailor the suggested fixes.
        public var method: String?
        /// Whether the suggested fixes name qconvert's flags: not for another tool's model.
        public var suggestsFlags = true
        /// Whether --target-sqnr already measured which layers the output is sensitive to.
        public var sensitivityMeasured = false
        /// Layers diagnosed: this many worst by accumulated and by local SQNR.
        public var diagnose = 10
        /// Float weights to measure quantized weights against besides the float model's own: compare
        /// passes the prepared float model's (BatchNorm folded), which qconvert quantized. Where both
        /// have a name, the one the integers are closer to is taken.
        public var floatWeights: [String: Tensor] = [:]
        /// The prepared float model when `float` is not it (compare), for its readers' floors.
        public var prepared: Graph?

        public init(float: Model, quantized: Model, samples: CalibrationDataset, localSamples: Int = 2, threads: Int) {
            self.float = float
            self.quantized = quantized
            self.samples = samples
            self.localSamples = localSamples
            self.threads = threads
        }
    }

    public static func build(_ inputs: Inputs) throws -> LayerReport {
        let graph = QuantizedGraph(quantized: inputs.quantized.graph, float: inputs.float.graph, floatWeights: inputs.floatWeights,
                                   prepared: inputs.prepared)
        let observedValues = Set(graph.units.flatMap { unit in [unit.value].compactMap { $0 } + unit.inputs.compactMap(\.source) })
        let accumulated = try LayerwiseAnalysis.accumulated(
            float: inputs.float, quantized: inputs.quantized, graph: graph, samples: inputs.samples,
            histogramOf: inputs.histograms == nil ? observedValues : [], threads: inputs.threads)
        let local = try LayerwiseAnalysis.local(float: inputs.float, quantized: inputs.quantized, graph: graph,
                                                samples: inputs.samples.slice(0..<min(inputs.localSamples, inputs.samples.count)),
                                                threads: inputs.threads)
        let histograms = inputs.histograms ?? accumulated.histograms
        let decisions = Dictionary((inputs.plan?.nodes ?? []).map { ($0.node, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [LayerReport.Row] = []
        let upstream = try graph.upstreamUnits(in: inputs.quantized.graph)
        for (k, unit) in graph.units.enumerated() {
            var row = LayerReport.Row(node: unit.node, opType: unit.opType, output: unit.value ?? unit.readAt)
            row.matched = unit.value != nil
            // A float op whose inputs arrive dequantized and whose output is quantized (an Add between
            // int8 layers) is measured like the others; ONNX Runtime fuses some (Add, Mul) to integer ops.
            row.reason = decisions[unit.node].map { $0.quantized ? $0.reason : "\($0.reason), between quantized values" }
            row.floor = graph.floor(of: unit)
            row.accumulated = accumulated.errors[k].map(LayerReport.Figures.init)
            // With nothing quantized upstream the accumulated error is the node's own, and it is
            // measured on every sample (local runs on the first few).
            row.local = (!upstream[k].isEmpty ? local[k] : accumulated.errors[k] ?? local[k]).map(LayerReport.Figures.init)
            row.evidence.quantizedUpstream = !upstream[k].isEmpty
            if let observed = accumulated.observed[k], observed > 0 {
                row.saturationPercent = 100 * Double(accumulated.saturated[k] ?? 0) / Double(observed)
            }
            // The grid the float value is compared on, and the one a reader sees.
            let output = (unit.valueGrid ?? unit.outputGrid).flatMap { graph.params($0, in: inputs.quantized.graph) }
            row.scale = output?.scales.first
            row.zeroPoint = output?.zeroPoints.first
            if let output, output.axis == nil, let value = unit.value {
                if let histogram = histograms[value] {
                    // Raised once here; Input finds nothing left below the floor to raise.
                    let seen = row.floor.map { histogram.raised(to: $0) } ?? histogram
                    row.evidence.outlierPercent = LayerEvidence.outlierPercent(seen, range: output.coveredRange)
                    row.evidence.output = LayerEvidence.Input(value: value, histogram: seen, grid: output, floor: row.floor)
                }
                if let ranges = accumulated.channelRanges[value] {
                    row.evidence.channels = ranges.count
                    row.evidence.tinyChannels = LayerEvidence.tinyChannels(ranges, scale: output.scales[0])
                }
            }
            let measuredInputs = unit.inputs.compactMap { input -> LayerEvidence.Input? in
                guard let source = input.source, let histogram = histograms[source],
                      let grid = graph.params(input.grid, in: inputs.quantized.graph) else { return nil }
                return LayerEvidence.Input(value: source, histogram: histogram, grid: grid, floor: graph.floors[source])
            }
            if !measuredInputs.isEmpty { row.evidence.inputs = measuredInputs }
            if ["Concat", "QLinearConcat"].contains(unit.opType) {
                let spans = unit.inputs.compactMap { input in input.source.flatMap { s in histograms[s].map { (s, Double($0.max) - Double($0.min)) } } }
                if spans.count >= 2 { row.evidence.inputSpans = Dictionary(spans, uniquingKeysWith: { a, _ in a }) }
            }
            addWeight(unit, to: &row, inputs: inputs, graph: graph)
            rows.append(row)
        }
        // The layers reading each unit's output on its grid, in unit order.
        var readers: [String: [String]] = [:]
        for unit in graph.units {
            for source in Set(unit.inputs.compactMap(\.source)).sorted() { readers[source, default: []].append(unit.node) }
        }
        for (k, unit) in graph.units.enumerated() {
            let others = unit.value.flatMap { readers[$0] }?.filter { $0 != unit.node } ?? []
            if !others.isEmpty { rows[k].evidence.int8Readers = others }
        }
        // Rows follow the units: the upstream layer that loses most on its own, by row.
        for k in rows.indices {
            let poorest = upstream[k].compactMap { j in rows[j].local.map { (j, $0.sqnr) } }.min { ($0.1, $0.0) < ($1.1, $1.0) }
            if let (j, sqnr) = poorest {
                rows[k].evidence.poorestUpstream = rows[j].node
                rows[k].evidence.poorestUpstreamSQNR = sqnr
            }
        }
        var report = LayerReport(rows: rows, outputSQNR: [:], samples: inputs.samples.count)
        report.sampleSources = inputs.samples.sources
        report.rangesFrom = inputs.histograms == nil ? "samples" : "calibration"
        var ranges: [String: ClosedRange<Float>] = [:]
        for (name, histogram) in histograms where histogram.count > 0 { ranges[name] = histogram.min...histogram.max }
        report.pairSaturation = PairSaturation.check(graph, model: inputs.quantized, ranges: ranges)
        LayerDiagnosis.apply(to: &report, count: inputs.diagnose, method: inputs.method, flags: inputs.suggestsFlags,
                             sensitivityMeasured: inputs.sensitivityMeasured)
        return report
    }

    /// Weight SQNR (overall and worst channel) of the integers written, and the weight's evidence. A
    /// layer with several weights (an LSTM's W and R) is described by the one that loses most, named
    /// in `weightName`, so a poor recurrent matrix is not hidden behind a good input matrix.
    private static func addWeight(_ unit: QuantizedGraph.Unit, to row: inout LayerReport.Row, inputs: Inputs, graph: QuantizedGraph) {
        let quantized = inputs.quantized.graph
        let candidates = unit.weights.compactMap { weight -> Measured? in
            guard let codes = quantized.initializers[weight.quantized], codes.count > 0,
                  let params = graph.params(weight.grid, in: quantized, codes: codes.dataType) else { return nil }
            // The original's tensor and the prepared one can share a name (a BatchNorm folded in
            // place): the integers approximate one of them to within half a step, so the closer is it.
            let sources = (weight.source.map { [inputs.floatWeights[$0], inputs.float.graph.initializers[$0]].compactMap { $0 } } ?? [])
                .filter { [.float, .float16, .bfloat16, .double].contains($0.dataType) }
                .flatMap { source -> [Tensor] in
                    switch weight.sourceLayout {
                    case .same: [source]
                    case .transposed: [source.transposedMatrix()]
                    case .either: [source, source.transposedMatrix()]
                    }
                }
            let measured = sources.map { ($0, WeightError.measure(float: $0, codes: codes, params: params, axis: weight.axis)) }
            let best = measured.max { ($0.1?.overall.sqnr ?? -.infinity) < ($1.1?.overall.sqnr ?? -.infinity) }
            return Measured(weight: weight, codes: codes, params: params, float: best?.0, result: best?.1)
        }
        guard let measured = candidates.min(by: { ($0.result?.overall.sqnr ?? .infinity) < ($1.result?.overall.sqnr ?? .infinity) }) else { return }
        let (weight, codes, params) = (measured.weight, measured.codes, measured.params)
        row.weightName = weight.source
        let node = quantized.nodes[unit.index]
        row.evidence.depthwise = LayerEvidence.isDepthwise(node, weight: codes)
        row.evidence.weightPerChannel = weight.axis != nil
        if let bits = inputs.plan?.weights[unit.node]?.bits {
            row.evidence.weightBits = bits
        } else if let values = codes.integers(), codes.dataType == .int8 {
            row.evidence.weightBits = values.allSatisfy { abs($0 - Int64(params.zeroPoints[0])) <= 63 } ? 7 : 8
        }
        if weight.axis == nil, let narrow = LayerEvidence.narrowestChannel(
            codes: codes, zeroPoint: Int64(params.zeroPoints[0]), axis: LayerEvidence.outputChannelAxis(node, rank: codes.rank)) {
            row.evidence.narrowestWeightChannel = narrow.channel
            row.evidence.narrowestWeightLevels = narrow.levels
        }
        guard let float = measured.float, let result = measured.result else { return }
        row.weightSQNR = result.overall.sqnr
        if let values = float.floats() {
            let index = AffineQuantization.ParameterIndex(axis: weight.axis, shape: float.shape)
            // int8 codes: the symmetric grid of their bits; uint8 codes (other tools' files): 0...255.
            let limit = Int64(row.evidence.weightBits == 7 ? 63 : 127)
            let range = codes.dataType == .int8 ? -limit...limit : (AffineQuantization.range(of: codes.dataType) ?? -limit...limit)
            let nearest = values.indices.map { i in
                AffineQuantization.quantize(values[i], scale: params.scales[index(i)], zeroPoint: Int64(params.zeroPoints[index(i)]), range: range)
            }
            row.evidence.weightGridSQNR = WeightError.measure(float: float, codes: Tensor(shape: float.shape, scalars: nearest), params: params,
                                                              axis: weight.axis)?.perChannel.map(\.sqnr).min()
        }
        if result.perChannel.count > 1, let worst = result.perChannel.indices.min(by: { result.perChannel[$0].sqnr < result.perChannel[$1].sqnr }) {
            row.worstChannel = worst
            row.worstChannelSQNR = result.perChannel[worst].sqnr
        }
    }

    /// One of a layer's quantized weights with its parameters, its float original when found, and
    /// how well the integers represent it.
    private struct Measured {
        var weight: QuantizedGraph.Weight
        var codes: Tensor
        var params: QuantParams
        var float: Tensor?
        var result: WeightError.Result?
    }
}
