import QConvertIR

/// A rewrite of the model that keeps what it computes (up to float rounding) and makes it closer to
/// what will be deployed. One pass per file, named with a verb phrase (`FoldBatchNorm`), with a doc
/// comment giving what, why and a Given/Result sketch.
public protocol Pass {
    /// Kebab-case name (`fold-batchnorm`), as `--print-after` and `--stop-after` take it.
    var name: String { get }
    /// Rewrites `model`; returns what changed, for `inspect` and `--stats`.
    func run(_ model: inout Model, _ context: PassContext) throws -> PassReport
}

/// What one pass changed: a count and a one-line summary ("35 BatchNormalization folded").
public struct PassReport: Codable, Sendable, Equatable {
    public var changes: Int
    public var summary: String

    public init(changes: Int, summary: String) {
        self.changes = changes
        self.summary = summary
    }

    public static let unchanged = PassReport(changes: 0, summary: "no change")

    /// "N <what> (2 Add, 1 Mul)" from counts by kind, or `unchanged` when they add up to none.
    static func counted(_ counts: [String: Int], _ what: String) -> PassReport {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return .unchanged }
        return PassReport(changes: total, summary: "\(total) \(what) (\(listing(counts)))")
    }

    /// "2 Add, 1 Mul": counts by kind, in the kinds' order.
    static func listing(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }
}

/// Facts passes hand to later passes and to quantization, beyond the graph itself.
public final class PassContext {
    /// Groups of nodes that quantization treats as one unit (Conv + Relu, x * Sigmoid(x)...), found
    /// by `FuseConvActivation`.
    public var units: [FusedUnit] = []

    public init() {}

    /// The unit whose output is `value`, if any.
    public func unit(producing value: String) -> FusedUnit? {
        units.first { $0.output == value }
    }
}

/// Nodes quantized as one: no quantize/dequantize pair is placed between them, and the unit's output
/// range may be known in advance (a fused Relu means [0, max]).
public struct FusedUnit: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Conv/ConvTranspose/Gemm/MatMul followed by Relu or Clip(min >= 0).
        case computeActivation = "compute+activation"
        /// x * Sigmoid(x).
        case silu
    }

    public var kind: Kind
    /// The values produced inside the unit, in order; the last one is `output`.
    public var values: [String]
    /// The unit's input (the compute node's activation input, or x).
    public var input: String
    public var output: String
    /// Lower and upper bounds the activation imposes on the output (nil: none).
    public var lowerBound: Float?
    public var upperBound: Float?

    public init(kind: Kind, values: [String], input: String, output: String, lowerBound: Float?, upperBound: Float?) {
        self.kind = kind
        self.values = values
        self.input = input
        self.output = output
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// The same unit after a pass renamed value `old` to `new`.
    public func renaming(_ old: String, to new: String) -> FusedUnit {
        func rename(_ name: String) -> String { name == old ? new : name }
        return FusedUnit(kind: kind, values: values.map(rename), input: rename(input), output: rename(output),
                         lowerBound: lowerBound, upperBound: upperBound)
    }
}
