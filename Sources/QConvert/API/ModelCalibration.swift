import QConvertIR
import QConvertONNX

/// `qconvert calibrate`: loads a model and a calibration folder, runs the calibrator, and writes
/// the statistics file. Nothing is written unless every sample succeeded.
///
/// The model is first run through the `prepare` pipeline, as every quantization is: statistics
/// describe the values of the prepared graph (BatchNorm folded, identities gone), which is the graph
/// `quantize --load-stats` will look the ranges up in, and its fingerprint is the one recorded.
public enum ModelCalibration {
    /// What `qconvert calibrate` was asked for, flag by flag.
    public struct Options: Sendable {
        public var model: String
        public var calibrationDirectory: String
        /// Use at most this many samples (after splitting batched files).
        public var samples: Int?
        public var threads: Int
        public var output: String

        public init(model: String, calibrationDirectory: String, samples: Int?, threads: Int, output: String) {
            self.model = model
            self.calibrationDirectory = calibrationDirectory
            self.samples = samples
            self.threads = threads
            self.output = output
        }
    }

    /// Runs calibration; `progress(total)` is asked for a per-sample callback once the sample count
    /// is known (return nil for none).
    public static func run(
        _ options: Options, progress: (_ total: Int) -> (@Sendable (Int) -> Void)? = { _ in nil }
    ) throws -> CalibrationStats {
        try OutputPaths.checkNotAnInput(options.output, inputs: [options.model])
        try OutputPaths.checkOutside(options.output, folder: options.calibrationDirectory)
        let model: Model, inputFiles: [String]
        do {
            let loaded = try ONNXReader.load(path: options.model)
            inputFiles = loaded.inputFiles
            model = try Preparation.run(loaded.model).model
            // Statistics of a quantized model are of no use: quantize refuses that model too.
            try Preparation.refuseQuantized(model.graph)
        } catch let error as QConvertError {
            throw error.context(options.model)
        }
        // Its external data files are inputs too, known once the model is read.
        try OutputPaths.checkNotAnInput(options.output, inputs: inputFiles)
        let dataset = try CalibrationDataset(directory: options.calibrationDirectory, inputs: model.graph.runtimeInputs,
                                             limit: options.samples)
        let stats: CalibrationStats
        do {
            stats = try Calibrator.calibrate(model, dataset: dataset, options: .init(threads: options.threads),
                                             progress: progress(dataset.count))
        } catch let error as QConvertError where !error.description.hasPrefix(dataset.directory) {
            // Sample errors name their file; any other comes from compiling the model.
            throw error.context(options.model)
        }
        do {
            try stats.checkOutputsFinite(of: model)
        } catch let error as QConvertError {
            throw error.context(options.calibrationDirectory)
        }
        try stats.save(to: options.output)
        return stats
    }

    /// `qconvert merge-stats`: merges statistics files (same model) into one, written to `output`.
    public static func merge(_ inputs: [String], output: String) throws -> CalibrationStats {
        try OutputPaths.checkNotAnInput(output, inputs: inputs)
        for (index, path) in inputs.enumerated() where inputs[..<index].contains(where: { AtomicFile.isSameFile($0, path) }) {
            throw QConvertError("\(path): given twice; its samples would count twice")
        }
        let parts = try inputs.map(CalibrationStats.load(path:))
        let merged: CalibrationStats
        do {
            merged = try CalibrationStats.merged(parts)
        } catch let error as QConvertError {
            throw QConvertError("cannot merge \(inputs.joined(separator: ", ")): \(error.description)")
        }
        try merged.save(to: output)
        return merged
    }
}
