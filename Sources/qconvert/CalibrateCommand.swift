import ArgumentParser
import QConvert

/// `qconvert calibrate MODEL --calib DIR -o stats.json`: gather activation statistics once, then
/// quantize with any method from the file (and merge files from shards with `merge-stats`).
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Run a model over calibration samples and save activation statistics (JSON).",
        discussion: """
            DIR holds .npy files (single-input models; a file batching several samples along its first \
            dimension is split when the model's batch size is fixed; with a symbolic batch, a file is one sample), .npz files keyed by input name, or test_data_set_*/input_*.pb folders. \
            Files are taken in sorted order. Memory does not grow with the number of samples. \
            Statistics describe the prepared model (see prepare), the graph quantization starts from. \
            Statistics from several runs on the same model combine exactly with merge-stats.
            """
    )

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(help: ArgumentHelp("Folder of calibration samples.", valueName: "dir"))
    var calib: String

    @Option(parsing: .unconditional, help: "Use at most this many samples.")
    var samples: Int?

    @Option(parsing: .unconditional, help: "Samples calibrated at once; the default is every core.")
    var threads: Int = Parallel.defaultThreads

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(name: .shortAndLong, help: "Where to write the statistics.")
    var output: String

    func validate() throws {
        try requireNonEmpty([("<model>", model), ("--output", output)])
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let options = ModelCalibration.Options(model: model, calibrationDirectory: calib, samples: samples,
                                               threads: threads, output: output)
        var bar: ProgressBar?
        let stats = try ModelCalibration.run(options) { total in
            guard ProgressBar.enabled(quiet: quiet) else { return nil }
            let progress = ProgressBar(label: "calibrating", total: total)
            bar = progress
            return progress.update
        }
        bar?.finish()
        if !quiet {
            Terminal.note("calibrated \(Formatting.count(stats.tensors.count, "tensor")) on \(Formatting.count(stats.sampleCount, "sample")); wrote \(output)")
        }
    }
}
