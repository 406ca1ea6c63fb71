import QConvertIR
import QConvertONNX

/// Running the `prepare` pipeline on a model: the library side of `qconvert prepare` and of the
/// preparation step every quantization starts with.
public enum Preparation {
    public struct Options: Sendable {
        public var verify: Bool
        public var printAfter: Set<String>
        public var stopAfter: String?

        public init(verify: Bool = false, printAfter: Set<String> = [], stopAfter: String? = nil) {
            self.verify = verify
            self.printAfter = printAfter
            self.stopAfter = stopAfter
        }
    }

    /// The prepared model, the facts passes recorded, and what each pass did.
    public struct Result {
        public var model: Model
        public var context: PassContext
        public var outcomes: [PassManager.Outcome]
    }

    public static func run(_ model: Model, options: Options = Options()) throws -> Result {
        try SupportedOpsets.check(model)
        var model = model
        let context = PassContext()
        let manager = PassManager(verify: options.verify, printAfter: options.printAfter, stopAfter: options.stopAfter)
        let outcomes = try manager.run(Pipelines.prepare, on: &model, context: context)
        return Result(model: model, context: context, outcomes: outcomes)
    }

    /// Refuses a model whose shapes cannot work (a MatMul of [1, 4] by [5, 4], a Conv whose group
    /// does not divide its channels), as shape inference finds from the inputs and weights alone (the
    /// shapes the file declares for other values, which exporters sometimes leave stale and ONNX
    /// Runtime only warns about, are left out). For the commands that
    /// write a model without running it (prepare; quantize in dynamic and weight-only mode): ONNX
    /// Runtime refuses such a model, so writing it would only move the error there.
    public static func refuseShapeConflicts(_ model: Model) throws {
        var model = model
        model.graph.valueInfo = [:]
        for index in model.graph.outputs.indices { model.graph.outputs[index].type = nil }
        if let conflict = try ShapeInference(model).conflicts.first { throw QConvertError(conflict) }
    }

    /// Refuses a prepared graph that is already quantized: quantize would quantize it again on top
    /// (Q/DQ pairs kept, new ones added) or leave it as it is (integer ops have no rule), and prepare
    /// would fold its int8 weights back into float ones. Quantized means a QuantizeLinear ->
    /// DequantizeLinear pair on an activation, or an integer or quantized-weight op. A pair on a
    /// constant (a fake-quantized weight) and DequantizeLinear of a constant weight are folded into
    /// float weights by preparation, and a DequantizeLinear reading a uint8 model input is
    /// preprocessing: such models are float models (whether or not `--stop-after` ended preparation
    /// before the folding). `inspect` does not refuse.
    public static func refuseQuantized(_ graph: Graph) throws {
        guard let listed = quantizedContent(graph) else { return }
        throw QConvertError("already quantized (\(listed)): qconvert prepares and quantizes float models; "
            + "give it the float original (qconvert compare FLOAT QUANT reports on this one)")
    }

    /// What makes `graph` a quantized model, as refuseQuantized(_:) defines it ("12
    /// QuantizeLinear/DequantizeLinear pairs, 2 QLinearConv"), or nil for a float model.
    public static func quantizedContent(_ graph: Graph) -> String? {
        let producers = graph.producers()
        func isConstant(_ value: String) -> Bool {
            graph.initializers[value] != nil || producers[value].map { graph.nodes[$0].opType == "Constant" } ?? false
        }
        let quantizedWeightOps: Set = ["QGemm", "MatMulNBits", "MatMulBnb4", "QAttention", "GatherBlockQuantized", "QEmbedLayerNormalization"]
        let quantized = graph.nodes.filter { node in
            let op = node.opType
            if op == "DequantizeLinear" {
                guard let q = node.inputs.first.flatMap({ producers[$0] }).map({ graph.nodes[$0] }), q.opType == "QuantizeLinear" else { return false }
                return !(q.inputs.first.map(isConstant) ?? false)
            }
            return quantizedWeightOps.contains(op) || op.hasPrefix("QLinear") || op.hasPrefix("QOrdered") || op.hasPrefix("DynamicQuantize")
                || op == "MatMulInteger" || op == "ConvInteger"
        }.map(\.opType)
        guard !quantized.isEmpty else { return nil }
        let counts = Dictionary(quantized.map { ($0, 1) }, uniquingKeysWith: +).sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        return counts.map { op, n in op == "DequantizeLinear" ? Formatting.count(n, "QuantizeLinear/DequantizeLinear pair") : "\(n) \(op)" }
            .joined(separator: ", ")
    }

    /// One line per pass: "fold-batchnorm: 35 BatchNormalization folded (35 into Conv)  [1.2 ms]".
    public static func text(_ outcomes: [PassManager.Outcome], timing: Bool) -> String {
        outcomes.map { outcome in
            "\(outcome.pass): \(outcome.report.summary)" + (timing ? "  [\(Formatting.fixed(outcome.seconds * 1000, digits: 1)) ms]" : "")
        }.joined(separator: "\n")
    }
}
