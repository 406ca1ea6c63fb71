import QConvertIR

/// How a node is quantized, declared by its op in `Ops/<Op>.swift` (`quantizationRule(for:isConstant:)`). The
/// quantizer never special-cases op types: it reads these values, and one materialisation pass does
/// all graph surgery from them.
public struct QuantizationRule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A compute-heavy op with a constant weight: Conv, ConvTranspose, Gemm, MatMul by a constant.
        /// The weight is quantized per channel along `axis`; an optional bias input becomes int32 with
        /// scale = activation scale x weight scale[c].
        case compute(weight: Int, axis: Int, bias: Int?)
        /// The output only moves or selects input 0's values (MaxPool, Reshape, Transpose, Slice...):
        /// it reuses input 0's quantization parameters, so quantizing it loses nothing.
        case passThrough
        /// Arithmetic on activations with its own output range (Add, Mul, Concat, AveragePool, MatMul of
        /// two activations...): quantizing it adds one rounding of its output.
        case arithmetic
        /// The function's output range is known in advance (Sigmoid: [0, 1]).
        case fixedRange(lower: Float, upper: Float)
        /// The output is the inputs side by side (Concat): no arithmetic, but the inputs may have
        /// different ranges, so an int8 kernel requantizes them to the output's grid.
        case concatenation
        /// An op with large constant weights but no integer kernel in ONNX (LSTM, GRU: W and R): in
        /// every mode each weight is stored in int8 per channel along `axis` behind a
        /// DequantizeLinear, and the op computes in float. Four times smaller, no faster.
        case storedWeights(inputs: [Int], axis: Int)
    }

    public var kind: Kind
    /// Inputs quantized as activations (data inputs; shape and index inputs are not listed).
    public var activationInputs: [Int]
    /// Why this node of a compute op stays float although others of its type run in int8 (a grouped
    /// ConvTranspose, a MatMul whose constant is on the left): what the summary says instead of its
    /// kind's general reason, which named the wrong cause.
    public var floatReason: String?

    public init(_ kind: Kind, activationInputs: [Int] = [0], floatReason: String? = nil) {
        self.kind = kind
        self.activationInputs = activationInputs
        self.floatReason = floatReason
    }

    /// The rule `node`'s op declares, or nil when the op has none (or is unknown).
    public static func of(_ node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard let op = OpRegistry.lookup(type: node.opType, domain: node.domain) as? any Quantizable.Type else { return nil }
        return try op.quantizationRule(for: node, isConstant: isConstant)
    }
}

/// Ops that can be quantized say how, given the node and which of its inputs are constants.
public protocol Quantizable: Operator {
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule?
}
