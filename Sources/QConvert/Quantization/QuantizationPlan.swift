import QConvertIR

/// What the quantizer decided, before any graph surgery: which nodes run quantized (and why the others
/// stay float), and the parameters of every value that gets a quantize/dequantize pair. It is what
/// the summary, the report and the golden-metric tests read.
public struct QuantizationPlan: Codable, Sendable, Equatable {
    public struct NodeDecision: Codable, Sendable, Equatable {
        public var node: String
        public var opType: String
        public var quantized: Bool
        /// Why the node stays float, or how it is quantized ("int8, fused with Relu").
        public var reason: String
    }

    /// Settings of one quantized compute node's weight.
    public struct WeightChoice: Codable, Sendable, Equatable {
        public var bits: Int
        public var perChannel: Bool
    }

    /// One decision per node, in graph order.
    public var nodes: [NodeDecision] = []
    /// Quantization parameters of each value that gets a Q -> DQ pair.
    public var points: [String: QuantParams] = [:]
    /// Weight settings per quantized compute node (by node name).
    public var weights: [String: WeightChoice] = [:]

    public init() {}

    public var quantizedCount: Int { nodes.filter(\.quantized).count }
}
