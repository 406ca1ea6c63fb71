import QConvertIR

/// How weights are rounded to their integer grid.
public enum WeightRoundingMethod: String, Codable, Sendable, CaseIterable {
    /// GPTQ or nearest, whichever gives the better output SQNR on calibration samples GPTQ did not fit.
    case auto
    case nearest
    case gptq
}

/// Everything that decides how a model is quantized, as one Codable value: what the CLI's flags map to,
/// and what `--config q.json` overrides (unknown keys there are errors).
public struct QuantizationOptions: Codable, Sendable, Equatable {
    /// static: int8 weights and activations (needs calibration); dynamic: int8 weights, activations
    /// quantized at run time; weightOnly: int8 weights dequantized to float compute.
    public enum Mode: String, Codable, Sendable, CaseIterable {
        case `static`
        case dynamic
        case weightOnly = "weight-only"
    }

    /// qdq: standard ops between QuantizeLinear/DequantizeLinear pairs (the runtime fuses them);
    /// qoperator: explicit integer ops (QLinearConv, QLinearMatMul, com.microsoft QLinearAdd...).
    public enum Format: String, Codable, Sendable, CaseIterable {
        case qdq
        case qoperator
    }

    /// Why these options ask dynamic or weight-only mode for something only static mode does, or nil:
    /// the request would otherwise be silently ignored. Only static mode chooses activation grids
    /// (dynamic mode's DynamicQuantizeLinear picks an asymmetric uint8 grid at run time, weight-only
    /// mode keeps activations float), and QOperator is a static-mode form (the other modes have one
    /// form each).
    public var staticOnlyConflict: String? {
        guard mode != .static else { return nil }
        let activations = mode == .dynamic ? "dynamic mode's activations are asymmetric uint8, chosen at run time"
            : "weight-only mode keeps activations float"
        if format == .qoperator {
            return "--format qoperator applies to --mode static; " + (mode == .dynamic
                ? "dynamic mode writes DynamicQuantizeLinear with ConvInteger/MatMulInteger" : "weight-only mode writes DequantizeLinear before float ops")
        }
        if activationType != .uint8 { return "--activation-type applies to --mode static; " + activations }
        if symmetricActivations { return "--symmetric-activations applies to --mode static; " + activations }
        if integerHardSwish { return "--integer-hardswish applies to --mode static, where activations are quantized" }
        if !integerArithmetic { return "--no-integer-arithmetic applies to --mode static, where activations are quantized" }
        return nil
    }

    public var mode: Mode = .static
    public var format: Format = .qdq
    /// Activation integer type: uint8 (asymmetric) or int8.
    public var activationType: QuantType = .uint8
    public var symmetricActivations = false
    /// Weight bits: 8 (values in [-127, 127]) or 7 ([-63, 63]): 7 keeps ONNX Runtime's u8 x s8 kernels
    /// on CPUs without VNNI from saturating their 16-bit intermediate sums (the CLI's default `auto`
    /// picks by the CPU it runs on, see CPUFeatures).
    public var weightBits = 8
    public var perChannel = true
    /// How weights are rounded to their grid: nearest, GPTQ (needs calibration samples; minimises
    /// each layer's output error on them instead of each weight's own error), or auto (both tried).
    public var weightRounding: WeightRoundingMethod = .auto
    /// Calibration samples whose inputs GPTQ weighs errors by.
    public var gptqSamples = 16
    /// Rescale activation channels feeding quantized layers so one scale fits them (see
    /// EqualizeActivations); static mode with calibration samples only.
    public var equalizeActivations = true
    /// Run HardSwish between quantized tensors as integer Add and Mul (see IntegerHardSwish), and so
    /// leave activations computed from a HardSwish unequalized (equalizing them would put a
    /// per-channel float Mul after it); static mode only.
    public var integerHardSwish = false
    /// Run an Add or Mul of two activations in int8 where its output is quantized anyway (see
    /// QuantizationPlanner, step 2): ONNX Runtime then fuses QLinearAdd/QLinearMul instead of
    /// dequantizing both inputs; one more rounding per input not quantized before; static mode
    /// only (turning it off elsewhere is refused, as other static-only requests are).
    public var integerArithmetic = true
    /// Node names and op types kept in float.
    public var excludeNodes: [String] = []
    public var excludeOpTypes: [String] = []
    /// Per-op-type and per-node overrides from a config file (node overrides win).
    public var opTypeOverrides: [String: NodeOverride] = [:]
    public var nodeOverrides: [String: NodeOverride] = [:]

    public init() {}

    /// What may be overridden for one op type or node.
    public struct NodeOverride: Codable, Sendable, Equatable {
        /// false keeps the node in float.
        public var quantize: Bool?
        public var weightBits: Int?
        public var perChannel: Bool?
    }

    /// The effective settings for one node: defaults, then its op type's override, then its own.
    func resolved(for node: Node) -> (quantize: Bool, weightBits: Int, perChannel: Bool) {
        var quantize = !excludeNodes.contains(node.name) && !excludeOpTypes.contains(node.opType)
        var bits = weightBits, channel = perChannel
        for override in [opTypeOverrides[node.opType], nodeOverrides[node.name]].compactMap({ $0 }) {
            if let q = override.quantize { quantize = q }
            if let b = override.weightBits { bits = b }
            if let p = override.perChannel { channel = p }
        }
        return (quantize, bits, channel)
    }
}
