import QConvertIR
import QConvertONNX

/// The main job, `qconvert MODEL --calib DIR`: prepare, calibrate, plan, round weights, choose the
/// range method, fall back where asked, write, and measure the result on samples held out of
/// calibration. Each step is one method of `QuantizationJob`.
public enum ModelQuantization {
    /// What the quantize command was asked for.
    public struct Options: Sendable {
        public var model: String
        public var output: String?
        public var calibrationDirectory: String?
        public var samples: Int?
        /// Samples held out of calibration to measure output SQNR (taken from the end).
        public var holdout: Int?
        public var threads: Int = Parallel.defaultThreads
        /// Range-setting method; nil: try each on calibration samples and keep the most accurate.
        public var method: CalibrationMethod?
        /// The percentile `method == nil` (auto) tries for the percentile method.
        public var autoPercentile = PercentileObserver.defaultPercentile
        public var saveStats: String?
        public var loadStats: String?
        /// The `--config` file the CLI read into `quantization`: an input no output may replace.
        public var configFile: String?
        public var quantization = QuantizationOptions()
        public var preparation = Preparation.Options()
        public var externalData: WriteOptions.ExternalData = .automatic
        /// Measure the layerwise report on the held-out samples.
        public var report = true
        /// Also write it here (`.json`, `.md` or `.html`, by extension).
        public var reportPath: String?
        /// Keep the most sensitive layers float until the output SQNR on held-out samples reaches this.
        public var targetSQNR: Double?
        /// At most this many layers kept float by --target-sqnr (nil: one in ten compute layers),
        /// counting the first layers kept float.
        public var maxFloatLayers: Int?
        /// Keep the model's first layers float where that measures better (static mode with samples;
        /// QuantizationJob.chooseInputLayers).
        public var floatFirstLayers = true

        public init(model: String) {
            self.model = model
        }

        /// `dir/model.onnx` -> `dir/model.int8.onnx` unless -o is given.
        public var outputPath: String { output ?? OutputPaths.sibling(of: model, suffix: "int8") }
    }

    /// A per-step progress callback maker: `(label, total)` -> callback taking the count done.
    public typealias Progress = (_ label: String, _ total: Int) -> (@Sendable (Int) -> Void)?

    /// Runs the whole job.
    public static func run(_ options: Options, progress: @escaping Progress = { _, _ in nil }) throws -> QuantizationSummary {
        try QuantizationJob(options: options, progress: progress).run()
    }

    /// Samples held out of calibration by default: one in eight, at most 8, none below 4 samples.
    static func defaultHoldout(_ count: Int) -> Int {
        count < 4 ? 0 : min(8, max(1, count / 8))
    }

    /// Runs `body`, prefixing errors that do not already name a file with the model's path.
    static func withContext<T>(_ model: String, unlessPrefixed other: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as QConvertError {
            if let other, error.description.hasPrefix(other) { throw error }
            throw error.context(model)
        }
    }

    static func fileBytes(_ paths: [String]) -> Int {
        paths.reduce(0) { total, path in total + ((try? MappedFile(path: path))?.bytes.count ?? 0) }
    }

    /// A file next to a model (its external data).
    static func sibling(_ model: String, _ name: String) -> String {
        guard let slash = model.lastIndex(of: "/") else { return name }
        return String(model[...slash]) + name
    }
}
