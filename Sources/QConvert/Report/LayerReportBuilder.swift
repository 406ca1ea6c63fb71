import QConvertIR

/// Builds the layerwise report for a quantized model from its float original, its plan and samples.
public enum LayerReportBuilder {
    public struct Inputs {
        public var float: Model
        public var quantized: Model
        public var plan: QuantizationPlan
        public var units: [FusedUnit]
        /// Samples for the accumulated error (held out of calibration).
        public var samples: CalibrationDataset
        /// At most this many of them for the local error (each node runs alone).
        public var localSamples: Int
        public var threads: Int

        public init(float: Model, quantized: Model, plan: QuantizationPlan, units: [FusedUnit], samples: CalibrationDataset,
                    localSamples: Int = 2, threads: Int) {
            self.float = float
            self.quantized = quantized
            self.plan = plan
            self.units = units
            self.samples = samples
            self.localSamples = localSamples
            self.threads = threads
        }
    }

    public static func build(_ inputs: Inputs) throws -> LayerReport {
        let decisions = inputs.plan.nodes.filter { $0.quantized && $0.output != nil }
        let tracked = Set(decisions.compactMap(\.output))
        let accumulated = try LayerwiseAnalysis.accumulated(
            float: inputs.float, quantized: inputs.quantized, plan: inputs.plan, tracked: tracked, samples: inputs.samples,
            threads: inputs.threads)
        let localSet = inputs.samples.slice(0..<min(inputs.localSamples, inputs.samples.count))
        let local = try LayerwiseAnalysis.local(float: inputs.float, plan: inputs.plan, units: inputs.units, samples: localSet,
                                                threads: inputs.threads)
        let nodesByName = Dictionary(inputs.float.graph.nodes.map { ($0.displayName, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [LayerReport.Row] = []
        for decision in decisions {
            let output = decision.output!
            let params = inputs.plan.points[output]
            var row = LayerReport.Row(node: decision.node, opType: decision.opType, output: output,
                                      scale: params?.scales.first, zeroPoint: params?.zeroPoints.first)
            row.accumulated = accumulated.errors[output].map(LayerReport.Figures.init)
            row.local = local[decision.node].map(LayerReport.Figures.init)
            if let observed = accumulated.observed[output], observed > 0 {
                row.saturationPercent = 100 * Double(accumulated.saturated[output] ?? 0) / Double(observed)
            }
            if let choice = inputs.plan.weights[decision.node], let node = nodesByName[decision.node],
               let op = OpRegistry.lookup(type: node.opType, domain: node.domain) as? any Quantizable.Type,
               let rule = try op.quantizationRule(for: node, isConstant: { inputs.float.graph.initializers[$0] != nil }),
               case .compute(let weightInput, let axis, _) = rule.kind, let weight = inputs.float.graph.initializers[node.inputs[weightInput]] {
                let channelAxis = choice.perChannel ? (axis < 0 ? axis + weight.rank : axis) : nil
                let result = WeightError.measure(weight, axis: channelAxis, bits: choice.bits)
                row.weightSQNR = result.overall.sqnr
                if let worst = result.perChannel.indices.min(by: { result.perChannel[$0].sqnr < result.perChannel[$1].sqnr }) {
                    row.worstChannel = worst
                    row.worstChannelSQNR = result.perChannel[worst].sqnr
                }
            }
            rows.append(row)
        }
        return LayerReport(rows: rows, outputSQNR: [:], samples: inputs.samples.count)
    }
}
