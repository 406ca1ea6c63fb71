import QConvertIR
import QConvertONNX

/// `qconvert compare FLOAT.onnx QUANT.onnx --data DIR`: the layerwise report for any float model and
/// a quantized version of it, whoever quantized it (qconvert, ONNX Runtime's quantize_static, QDQ or
/// QOperator). Both models run in qconvert's interpreter on the same samples; quantized values are
/// matched to float ones by name through their Q/DQ pairs (see `QuantizedGraph`).
public enum ModelComparison {
    public struct Options: Sendable {
        public var floatModel: String
        public var quantizedModel: String
        public var dataDirectory: String
        /// At most this many samples (the first ones, in name order).
        public var samples: Int = 8
        /// Of which at most this many for the local error (each layer run alone).
        public var localSamples: Int = 2
        public var threads: Int = Parallel.defaultThreads
        /// Also write the report here (`.json`, `.md` or `.html`).
        public var reportPath: String?

        public init(floatModel: String, quantizedModel: String, dataDirectory: String) {
            self.floatModel = floatModel
            self.quantizedModel = quantizedModel
            self.dataDirectory = dataDirectory
        }
    }

    public static func run(_ options: Options) throws -> ReportDocument {
        if let path = options.reportPath {
            try ReportWriter.check(path)
            try OutputPaths.checkNotAnInput(path, inputs: [options.floatModel, options.quantizedModel, options.dataDirectory], flag: "--report")
            try OutputPaths.checkOutside(path, folder: options.dataDirectory, role: "the --data folder")
        }
        let float = try ONNXReader.load(path: options.floatModel)
        // qconvert quantizes the prepared model's weights (BatchNorm folded), under the names the
        // prepared model gives them: the original's name when only that node read the weight,
        // `conv.weight_bn` for a shared copy. Preparing the float model here finds them. A model
        // preparation cannot handle only loses those weight figures.
        let preparedFloat = try? Preparation.run(float.model)
        // A quantized model as the reference would be measured against itself or another
        // quantization, and every figure would describe the wrong thing. Judged after preparation,
        // as quantize judges it (a fake-quantized weight behind a Transpose is folded, not refused).
        if let listed = Preparation.quantizedContent(preparedFloat?.model.graph ?? float.model.graph) {
            throw QConvertError("\(options.floatModel): is already quantized (\(listed)): compare takes the float original first, then the quantized model")
        }
        let quantized = try ONNXReader.load(path: options.quantizedModel)
        // Both models' external data files are inputs too (known once they are read).
        if let path = options.reportPath {
            try OutputPaths.checkNotAnInput(path, inputs: float.inputFiles + quantized.inputFiles, flag: "--report")
        }
        let samples = try CalibrationDataset(directory: options.dataDirectory, inputs: float.model.graph.runtimeInputs, limit: options.samples)
        let floatNames = Set(float.model.graph.runtimeInputs.map(\.name)), quantizedNames = Set(quantized.model.graph.runtimeInputs.map(\.name))
        guard floatNames == quantizedNames else {
            throw QConvertError("\(options.quantizedModel): inputs (\(quantizedNames.sorted().joined(separator: ", "))) differ from the float model's (\(floatNames.sorted().joined(separator: ", ")))")
        }
        // Each model's errors name its own file: the float model is compiled and run on every sample here.
        let reference = try ModelQuantization.withContext(options.floatModel, unlessPrefixed: samples.directory) {
            try OutputAgreement.Reference(Interpreter(model: float.model, threads: options.threads), dataset: samples)
        }
        let agreement = try ModelQuantization.withContext(options.quantizedModel, unlessPrefixed: samples.directory) {
            try OutputAgreement.measure(reference: reference, test: Interpreter(model: quantized.model, threads: options.threads), dataset: samples)
        }
        // Two float models would give a report of float against float. Checked after the outputs,
        // whose mismatch (another model altogether) is the more basic error.
        let structure = QuantizedGraph(quantized: quantized.model.graph, float: float.model.graph)
        guard !structure.units.isEmpty else {
            throw QConvertError("\(options.quantizedModel): has no quantized node (no Q/DQ-wrapped or integer op), so there is nothing to report on: compare takes the float model first, then the quantized one")
        }
        try ModelQuantization.withContext(options.quantizedModel, unlessPrefixed: samples.directory) {
            try structure.checkScales(in: quantized.model.graph)
        }
        var inputs = LayerReportBuilder.Inputs(float: float.model, quantized: quantized.model, samples: samples,
                                               localSamples: options.localSamples, threads: options.threads)
        inputs.diagnose = 10
        inputs.suggestsFlags = quantized.model.producerName == QConvertVersion.producerName
        if let prepared = preparedFloat {
            inputs.prepared = prepared.model.graph
            // Those the float model does not hold as they are: a folded weight keeps its original
            // name, and the report measures the quantized weight against whichever of the two it is
            // closer to (one left unchanged is measured once).
            for (name, tensor) in prepared.model.graph.initializers where float.model.graph.initializers[name] != tensor {
                inputs.floatWeights[name] = tensor
            }
        }
        var report = try ModelQuantization.withContext(options.quantizedModel, unlessPrefixed: samples.directory) {
            try LayerReportBuilder.build(inputs)
        }
        report.outputSQNR = agreement.sqnr
        report.outputParts = agreement.parts
        // A unit's members (a Relu fused into its Conv) are quantized with it.
        let quantizedIndices = Set(structure.units.flatMap { [$0.index] + $0.members })
        let kept = quantized.model.graph.nodes.enumerated().filter { index, node in
            !quantizedIndices.contains(index) && !["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"].contains(node.opType)
        }.map { ReportDocument.KeptFloat(node: $0.1.displayName, opType: $0.1.opType, reason: "float in the quantized model") }
        let qdq = quantized.model.graph.nodes.filter { $0.opType == "QuantizeLinear" || $0.opType == "DequantizeLinear" }.count
        let producer = quantized.model.producerName.isEmpty ? "unknown producer" : "produced by \(([quantized.model.producerName, quantized.model.producerVersion].filter { !$0.isEmpty }).joined(separator: " "))"
        let unmatched = ReportDocument.unmatchedNotes(report.rows, floatModel: options.floatModel, quantizedModel: options.quantizedModel)
        let document = ReportDocument(
            kind: "compare", floatModel: options.floatModel, quantizedModel: options.quantizedModel,
            settings: "\(producer); \(qdq) QuantizeLinear/DequantizeLinear nodes", nodeCount: float.model.graph.nodes.count,
            floatBytes: bytes(float, options.floatModel), quantizedBytes: bytes(quantized, options.quantizedModel), report: report,
            keptFloat: kept, fallback: nil, warnings: unmatched.warning.map { [$0] } ?? [], notes: unmatched.note.map { [$0] } ?? [])
        if let path = options.reportPath { try ReportWriter.write(document, to: path) }
        return document
    }

    static func bytes(_ loaded: LoadedModel, _ path: String) -> Int {
        ModelQuantization.fileBytes([path] + loaded.externalDataFiles.map { ModelQuantization.sibling(path, $0) })
    }
}

extension ReportDocument {
    /// Why rows have no figures: their output has no float counterpart (a note in the report, as in
    /// the terminal); and a warning when most have none, which says the models may not belong together.
    static func unmatchedNotes(_ rows: [LayerReport.Row], floatModel: String, quantizedModel: String) -> (note: String?, warning: String?) {
        let unmatched = rows.filter { !$0.matched }
        guard !unmatched.isEmpty else { return (nil, nil) }
        // qconvert names the values its activation equalization rescaled `<name>_eq`.
        let rescaled = unmatched.allSatisfy { $0.output.split(separator: "_").contains("eq") }
        let note = "no float counterpart for \(unmatched.count)"
            + (rescaled ? " (outputs rescaled per channel by qconvert's activation equalization, which the float model does not hold)" : "")
            + ": " + unmatched.prefix(10).map(\.node).joined(separator: ", ")
        // A quantized model of another network with the same inputs and outputs runs and gives an
        // output SQNR like any other; that its values are not named as in the float model is the
        // one sign of it.
        guard !rescaled && unmatched.count * 2 > rows.count else { return (note, nil) }
        return (note, "\(unmatched.count) of \(rows.count) quantized values have no namesake in \(floatModel): is it the model \(quantizedModel) was made from?")
    }

    /// What `compare` prints: output SQNR, counts, the worst layers with their diagnosis, warnings.
    public var text: String {
        var lines: [String] = []
        let outputs = OutputAgreement.listing(outputSQNR, parts: outputParts) { ReportTable.db($0) }
        lines.append("\(quantizedModel) vs \(floatModel): output SQNR on \(Formatting.count(samples.count, "sample")): " + outputs.joined(separator: ", "))
        lines.append("quantized nodes: \(quantizedNodeCount), a fused activation counted with its layer" + (settings.map { " (\($0))" } ?? ""))
        lines += notes ?? []
        var layers = LayerReport(rows: rows, outputSQNR: outputSQNR, samples: samples.count)
        layers.rangesFrom = rangesFrom
        lines += layers.worstTable(10).split(separator: "\n").map(String.init)
        for warning in runtime.warnings { lines.append("warning: " + warning) }
        // Each line on one line: names from the model may hold newlines.
        return lines.map(Formatting.oneLine).joined(separator: "\n")
    }
}
