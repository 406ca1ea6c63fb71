import QConvertIR

/// Everything `--report PATH` writes, whatever the format: the run's summary and the per-layer
/// report. The JSON form is this value encoded with `JSONText` (snake_case keys, sorted):
///
///     {
///       "format": "qconvert-report", "version": 1, "kind": "quantize" | "compare",
///       "float_model": "m.onnx", "quantized_model": "m.int8.onnx", "settings": "static, qdq, ...",
///       "node_count": 120,                       // nodes in the float model
///       "quantized_node_count": 64,              // = rows.length
///       "float_bytes": 1234, "quantized_bytes": 567,
///       "output_sqnr": {"out": 31.2},            // dB per model output on the samples
///       "output_parts": {"out": [{"value": "boxes", "sqnr": 38.0}, ...]},  // per input of a Concat producing an output
///       "samples": {"count": 8, "sources": ["calib/0056.npy", ...]},
///       "ranges_from": "calibration" | "samples",
///       "kept_float": [{"node": "n", "op_type": "Add", "reason": "..."}],
///       "fallback": {"initial_sqnr", "final_sqnr", "target_sqnr", "candidates", "max_float", "kept_before", "steps": [{"node", "nodes", "replaces", "gain", "sqnr"}]},  // with --target-sqnr
///       "notes": ["..."],                        // what explains the figures (compare)
///       "runtime": {"has_vnni": true, "warnings": ["..."], "pair_saturation": {"has_vnni", "checked", "layers": [...]}},
///       "rows": [{"node", "op_type", "output", "matched", "reason", "scale", "zero_point", "floor",
///                 "local": {"sqnr", "cosine", "max_abs"}, "accumulated": {...}, "saturation_percent",
///                 "weight_name", "weight_sqnr", "worst_channel", "worst_channel_sqnr", "evidence": {...},
///                 "diagnosis", "suggestion"}]
///     }
///
/// Absent values are left out (not null); an infinite SQNR is a string: "inf" for identical
/// tensors, "-inf" where the float tensor is all zeros and the quantized one is not. Readers must
/// ignore keys they do not know; `version` changes when a key changes meaning or goes away.
public struct ReportDocument: Codable, Sendable {
    public static let formatName = "qconvert-report"
    public static let currentVersion = 1

    public struct Samples: Codable, Sendable {
        public var count: Int
        public var sources: [String]
    }

    public struct KeptFloat: Codable, Sendable, Equatable {
        public var node: String
        public var opType: String
        public var reason: String

        public init(node: String, opType: String, reason: String) {
            self.node = node
            self.opType = opType
            self.reason = reason
        }
    }

    public struct Runtime: Codable, Sendable {
        public var hasVNNI: Bool
        public var warnings: [String]
        public var pairSaturation: PairSaturation.Result?
    }

    public var format = formatName
    public var version = currentVersion
    public var kind: String
    public var floatModel: String
    public var quantizedModel: String
    public var settings: String?
    public var nodeCount: Int
    public var quantizedNodeCount: Int
    public var floatBytes: Int
    public var quantizedBytes: Int
    public var outputSQNR: [String: Double]
    /// The parts' SQNR of outputs a Concat assembles (a detector's boxes and class scores).
    public var outputParts: [String: [OutputAgreement.Part]]
    public var samples: Samples
    public var rangesFrom: String
    public var keptFloat: [KeptFloat]
    public var fallback: SensitivityFallback.Result?
    public var runtime: Runtime
    /// What explains the figures, not a warning (compare: why some rows have no float counterpart).
    public var notes: [String]?
    public var rows: [LayerReport.Row]

    /// Assembles the document; `warnings` are added to the pair-saturation warning, if any, whose
    /// remedy depends on the run's `weightBits` where known.
    public init(kind: String, floatModel: String, quantizedModel: String, settings: String?, nodeCount: Int, floatBytes: Int,
                quantizedBytes: Int, report: LayerReport, keptFloat: [KeptFloat], fallback: SensitivityFallback.Result?, warnings: [String] = [],
                notes: [String] = [], weightBits: Int? = nil) {
        self.notes = notes.isEmpty ? nil : notes
        self.kind = kind
        self.floatModel = floatModel
        self.quantizedModel = quantizedModel
        self.settings = settings
        self.nodeCount = nodeCount
        self.quantizedNodeCount = report.rows.count
        self.floatBytes = floatBytes
        self.quantizedBytes = quantizedBytes
        self.outputSQNR = report.outputSQNR
        self.outputParts = report.outputParts
        self.samples = Samples(count: report.samples, sources: report.sampleSources)
        self.rangesFrom = report.rangesFrom
        self.keptFloat = keptFloat
        self.fallback = fallback
        self.runtime = Runtime(hasVNNI: CPUFeatures.hasVNNI,
                               warnings: warnings + [report.pairSaturation.flatMap { PairSaturation.warning($0, weightBits: weightBits) }].compactMap { $0 },
                               pairSaturation: report.pairSaturation)
        self.rows = report.rows
    }

    /// The report of a quantize run (nil when no samples were held out, so nothing was measured).
    public init?(_ summary: QuantizationSummary, nodeCount: Int) {
        guard let report = summary.report else { return nil }
        let options = summary.options
        let settings = "\(options.mode.rawValue), \(options.format.rawValue), \(options.activationType.rawValue) activations, \(options.weightBits)-bit weights, \(summary.method)"
        let kept = summary.plan.nodes.filter { !$0.quantized }.map { KeptFloat(node: $0.node, opType: $0.opType, reason: $0.reason) }
        self.init(kind: "quantize", floatModel: summary.model, quantizedModel: summary.outputs.first ?? "", settings: settings,
                  nodeCount: nodeCount, floatBytes: summary.floatBytes, quantizedBytes: summary.quantizedBytes, report: report,
                  keptFloat: kept, fallback: summary.fallback, weightBits: options.weightBits)
    }

    /// The rows with a diagnosis, worst accumulated SQNR first.
    public var diagnosed: [LayerReport.Row] {
        rows.filter { $0.diagnosis != nil }.sorted { ($0.accumulated?.sqnr ?? .infinity, $0.node) < ($1.accumulated?.sqnr ?? .infinity, $1.node) }
    }
}
