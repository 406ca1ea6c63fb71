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
        /// For a quantized node: the activation values it reads through a quantize/dequantize pair,
        /// and the value its own pair follows (its unit's output; nil when that stays float).
        public var inputs: [String] = []
        public var output: String?
        /// For an activation fused into a compute node: that node's name (they go float together).
        public var fusedInto: String?
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
    /// Outputs of quantized compute nodes after which no int8 layer follows (detection heads,
    /// classifier logits), in graph order, quantized or not. Left float by default (no rounding
    /// where nothing downstream runs in int8); quantizing one lets the runtime run that layer in
    /// int8 too, which the quantization job does where it measures no loss.
    public var terminalOutputs: [String] = []
    /// Observed values whose grid was cut at their readers' floor instead of reaching their minimum
    /// (`ReaderFloor`: a Conv's output read only by a HardSwish needs nothing below -3), with it; the
    /// grid's lowest level is a step under a negative floor, and 0 for one at 0 or above.
    public var floors: [String: Float] = [:]

    public init() {}

    public var quantizedCount: Int { nodes.filter(\.quantized).count }

    /// Names of the quantized nodes.
    public var quantizedNodes: Set<String> { Set(nodes.filter(\.quantized).map(\.node)) }

    /// The plan with the nodes in `names` (and the activations fused into them) kept float, everything else as it was.
    public func keepingFloat(_ names: Set<String>, reason: String = "kept float: sensitive") -> QuantizationPlan {
        let dropped = Set(nodes.filter { names.contains($0.node) || $0.fusedInto.map(names.contains) == true }.map(\.node))
        var plan = restricted(to: quantizedNodes.subtracting(dropped))
        for index in plan.nodes.indices where dropped.contains(plan.nodes[index].node) {
            plan.nodes[index].reason = reason
        }
        return plan
    }

    /// The same plan with only `keep` (node names) quantized: every other node float, and only the
    /// pairs the kept nodes read or write. Parameters are unchanged, so measuring a restricted plan
    /// isolates the error the kept nodes add (sensitivity analysis, fallback).
    public func restricted(to keep: Set<String>) -> QuantizationPlan {
        var copy = self
        copy.nodes = nodes.map { decision in
            guard decision.quantized, !keep.contains(decision.node) else { return decision }
            var floatDecision = decision
            floatDecision.quantized = false
            floatDecision.reason = "kept float for analysis"
            floatDecision.inputs = []
            floatDecision.output = nil
            floatDecision.fusedInto = nil
            return floatDecision
        }
        let needed = Set(copy.nodes.filter(\.quantized).flatMap { $0.inputs + ($0.output.map { [$0] } ?? []) })
        copy.points = points.filter { needed.contains($0.key) }
        copy.floors = floors.filter { needed.contains($0.key) }
        copy.weights = weights.filter { keep.contains($0.key) }
        return copy
    }
}
