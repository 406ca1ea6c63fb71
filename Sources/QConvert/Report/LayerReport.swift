import QConvertIR

/// The layerwise error report: for every quantized node, how much error it adds on its own (local)
/// and how much the quantized model has accumulated at its output, plus saturation, the output's
/// quantization parameters, the weights' per-channel SQNR, the evidence the diagnosis reads, and
/// a diagnosis for the worst layers.
public struct LayerReport: Codable, Sendable {
    /// SQNR (dB), cosine similarity and largest absolute error of one comparison.
    public struct Figures: Codable, Sendable, Equatable {
        public var sqnr: Double
        public var cosine: Double
        public var maxAbs: Double

        public init(_ error: TensorError) {
            sqnr = error.sqnr
            cosine = error.cosine
            maxAbs = error.maxAbs
        }
    }

    public struct Row: Codable, Sendable {
        public var node: String
        public var opType: String
        /// The float-model value compared: the node's output, or its fused activation's.
        public var output: String
        /// False when the float model has no value of that name (no figures then).
        public var matched = true
        /// How the quantizer treated the node (qconvert's plan), when known.
        public var reason: String?
        public var scale: Float?
        public var zeroPoint: Int32?
        /// Where the output's readers stop telling values apart (`ReaderFloor`: -3 before a
        /// HardSwish): the figures compare both models' values raised to it.
        public var floor: Float?
        public var local: Figures?
        public var accumulated: Figures?
        /// Percent of the values entering the output's QuantizeLinear that fell outside its grid.
        public var saturationPercent: Double?
        /// The weight the figures below describe (its float initializer's name): the layer's only
        /// weight, or of several (an LSTM's W and R) the one that loses most.
        public var weightName: String?
        /// SQNR of the quantized weight over all channels, and its worst channel.
        public var weightSQNR: Double?
        public var worstChannel: Int?
        public var worstChannelSQNR: Double?
        public var evidence = LayerEvidence()
        /// Why this layer loses precision and what to try, for the worst layers.
        public var diagnosis: String?
        public var suggestion: String?

        public init(node: String, opType: String, output: String) {
            self.node = node
            self.opType = opType
            self.output = output
        }
    }

    /// One row per quantized node, in graph order.
    public var rows: [Row]
    /// Output SQNR of the whole model on the same samples.
    public var outputSQNR: [String: Double]
    /// The parts' SQNR of outputs a Concat assembles (see `OutputAgreement.parts`).
    public var outputParts: [String: [OutputAgreement.Part]] = [:]
    public var samples: Int
    /// Where each sample came from (files under the data folder), in order.
    public var sampleSources: [String] = []
    /// Where the value distributions behind the evidence come from: "calibration" or "samples".
    public var rangesFrom = "samples"
    /// Layers ONNX Runtime's integer kernels may compute differently on CPUs without VNNI.
    public var pairSaturation: PairSaturation.Result?

    public init(rows: [Row], outputSQNR: [String: Double], samples: Int) {
        self.rows = rows
        self.outputSQNR = outputSQNR
        self.samples = samples
    }

    /// The `count` rows with the lowest accumulated SQNR, worst first.
    public func worst(_ count: Int) -> [Row] {
        Array(rows.filter { $0.accumulated != nil }.sorted { ($0.accumulated!.sqnr, $0.node) < ($1.accumulated!.sqnr, $1.node) }.prefix(count))
    }
}
