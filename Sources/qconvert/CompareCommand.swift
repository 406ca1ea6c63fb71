import ArgumentParser
import QConvert

/// `qconvert compare FLOAT.onnx QUANT.onnx --data DIR`: the layerwise report for any pair.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Layerwise error report of a quantized model against its float original.",
        discussion: """
            Runs both models on the samples in DIR and compares every quantized node's output (matched \
            by name through its QuantizeLinear/DequantizeLinear pair), accumulated (the whole quantized \
            model up to there) and local (that node alone, fed float inputs). Works on models from \
            qconvert or ONNX Runtime's quantize_static, QDQ or QOperator.

            Examples:
              qconvert compare model.onnx model.int8.onnx --data eval/
              qconvert compare model.onnx model.ort.onnx --data eval/ --report report.html
            """
    )

    @Argument(help: "The float ONNX model.")
    var floatModel: String

    @Argument(help: "The quantized model.")
    var quantizedModel: String

    @Option(help: ArgumentHelp("Folder of samples (.npy, .npz, or test_data_set_* folders); --calib, as quantize names it, works too.", valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp("The same as --data.", valueName: "dir", visibility: .hidden))
    var calib: String?

    /// The sample folder, given as --data or --calib (`validate` makes sure it is exactly one: as one
    /// option under two names, `--calib A --data B` quietly used B).
    private var folder: String { data ?? calib ?? "" }

    @Option(parsing: .unconditional, help: "Use at most this many samples (the first, in name order).")
    var samples = 8

    @Option(parsing: .unconditional, help: "Of which at most this many for the local error (each node run alone).")
    var localSamples = 2

    @Option(help: ArgumentHelp("Also write the report here: .json, .md or .html.", valueName: "path"))
    var report: String?

    @Option(parsing: .unconditional, help: "Threads; the default is every core.")
    var threads = Parallel.defaultThreads

    @Flag(help: "Print the report as JSON.")
    var json = false

    func validate() throws {
        switch (data, calib) {
        case (nil, nil): throw ValidationError("Missing expected argument '--data <dir>'")
        case (let data?, let calib?): throw ValidationError("--data \(data) and --calib \(calib) both name the sample folder; give one")
        default: break
        }
        try requireNonEmpty([("<float-model>", floatModel), ("<quantized-model>", quantizedModel), ("--report", report)])
        if samples < 1 { throw ValidationError("--samples must be at least 1") }
        if localSamples < 0 { throw ValidationError("--local-samples must be 0 or more") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let report, (try? ReportWriter.format(of: report)) == nil {
            throw ValidationError("--report \(report): unknown format; name the file .json, .md or .html")
        }
    }

    func run() throws {
        var options = ModelComparison.Options(floatModel: floatModel, quantizedModel: quantizedModel, dataDirectory: folder)
        options.samples = samples
        options.localSamples = localSamples
        options.threads = threads
        options.reportPath = report
        let document = try ModelComparison.run(options)
        if json { print(try JSONText.encode(document)) } else { Terminal.output(document.text + (report.map { "\nreport: \($0)" } ?? "")) }
    }
}
