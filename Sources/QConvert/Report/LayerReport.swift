import QConvertIR

/// The layerwise error report: for every quantized node's output, how much error that node adds on
/// its own (local) and how much the quantized model has accumulated there, plus saturation, the
/// quantization parameters and the weights' per-channel SQNR; and a diagnosis for the worst layers.
public struct LayerReport: Codable, Sendable {
    /// SQNR (dB), cosine similarity and largest absolute error of one comparison.
    public struct Figures: Codable, Sendable, Equatable {
        public var sqnr: Double
        public var cosine: Double
        public var maxAbs: Double

        init(_ error: TensorError) {
            sqnr = error.sqnr
            cosine = error.cosine
            maxAbs = error.maxAbs
        }
    }

    public struct Row: Codable, Sendable {
        public var node: String
        public var opType: String
        /// The quantized value this node writes (its unit's output).
        public var output: String
        public var scale: Float?
        public var zeroPoint: Int32?
        public var local: Figures?
        public var accumulated: Figures?
        /// Percent of the values entering the output's QuantizeLinear that fell outside its grid.
        public var saturationPercent: Double?
        /// SQNR of the quantized weight over all channels, and its worst channel.
        public var weightSQNR: Double?
        public var worstChannel: Int?
        public var worstChannelSQNR: Double?
        /// Why this layer loses precision and what to try, for the worst layers.
        public var diagnosis: String?
        public var suggestion: String?
    }

    /// One row per quantized node with an output, in graph order.
    public var rows: [Row]
    /// Output SQNR of the whole model on the same samples.
    public var outputSQNR: [String: Double]
    public var samples: Int

    /// The `count` rows with the lowest accumulated SQNR, worst first.
    public func worst(_ count: Int) -> [Row] {
        Array(rows.filter { $0.accumulated != nil }.sorted { ($0.accumulated!.sqnr, $0.node) < ($1.accumulated!.sqnr, $1.node) }.prefix(count))
    }
}
