#if canImport(Glibc)
import Glibc
#endif
import QConvertIR
import QConvertONNX

/// `qconvert run`: runs a model on `.npy` inputs with the interpreter and writes each output as `.npy`.
public struct ModelRun {
    public struct Options: Sendable {
        public var model: String
        /// Input name -> .npy path. A nil name stands for the model's only input.
        public var inputs: [(name: String?, path: String)]
        public var outputDirectory: String
        public var threads: Int
        public var profile: Bool
        /// Times to run the model (for timing; the outputs of the last run are written).
        public var repeats: Int
        /// How integer kernels requantize (QOperator models).
        public var requantization: Requantization
        /// Run the graph as the file writes it, not prepared first (see run(_:warn:)).
        public var asWritten: Bool

        public init(model: String, inputs: [(name: String?, path: String)], outputDirectory: String, threads: Int, profile: Bool,
                    repeats: Int = 1, requantization: Requantization = .float, asWritten: Bool = false) {
            self.model = model
            self.inputs = inputs
            self.outputDirectory = outputDirectory
            self.threads = threads
            self.profile = profile
            self.repeats = repeats
            self.requantization = requantization
            self.asWritten = asWritten
        }
    }

    public struct Result: Sendable, Encodable {
        /// Output name -> written file path.
        public var outputs: [String: String]
        /// Op type -> seconds per run (averaged over the repeats), when profiling.
        public var opSeconds: [String: Double]?
        /// Op type -> calls per run, when profiling.
        public var opCalls: [String: Int]?
        /// Median wall time of one run, when the model ran more than once.
        public var medianRunSeconds: Double?
    }

    /// Unless `asWritten`, a float model runs prepared (the `prepare` pipeline: BatchNorm folded into
    /// the weights before it, HardSwish spelt out in other ops made one op, Identity nodes and no-op
    /// Reshape/Transpose pairs removed), as calibration runs it and as ONNX Runtime optimizes a graph
    /// when it loads it. Why: exporters write graphs for training frameworks, not for inference; as
    /// written, ppocrv4_rec ran 2.2x slower. The outputs agree with the graph as written to float
    /// rounding. A quantized model runs as written: a float rounding before a QuantizeLinear could
    /// move a value by a step, and preparation is made for float models. A graph that cannot be
    /// prepared runs as written, with a warning.
    ///
    /// `warn` hears what the user should know about this run: options that have no effect on this
    /// model (said so that nobody trusts a result they did not shape), a graph that runs unprepared.
    /// It hears it once everything that can be checked before the run is checked (the graph loads, the
    /// inputs fit, no output would replace an input), so a mistake in the command stays a one-line
    /// error, and before the model runs, so a long run or one that fails comes after the warning.
    public static func run(_ options: Options, warn: (String) -> Void) throws -> Result {
        var prepared = false
        var unprepared: QConvertError?
        let interpreter: Interpreter
        do {
            var model = try ONNXReader.read(path: options.model)
            if !options.asWritten && Preparation.quantizedContent(model.graph) == nil {
                // A graph preparation cannot take (opset 7's BatchNormalization with spatial = 0)
                // still runs, as written.
                do {
                    model = try Preparation.run(model).model
                    prepared = true
                } catch let error as QConvertError {
                    unprepared = error
                }
            }
            interpreter = try Interpreter(model: model, threads: options.threads, requantization: options.requantization)
        } catch let error as QConvertError {
            throw explained(error, prepared: prepared, model: options.model)
        }
        let feeds = try self.feeds(options, for: interpreter)
        var written: [String: String] = [:]
        for name in interpreter.model.graph.outputs.map(\.name) {
            written[name] = options.outputDirectory + "/" + SafeFileName.escape(name) + ".npy"
        }
        // All checked before any is written: `-o .` beside x.npy must not replace the input x.npy.
        let inputs = [options.model] + options.inputs.map(\.path)
        for path in written.values { try OutputPaths.checkNotAnInput(path, inputs: inputs) }
        if let unprepared { warn("running the graph as written, unprepared: \(unprepared)") }
        if options.requantization != .float && !Requantization.matters(in: interpreter.model.graph) {
            warn("--requantization \(options.requantization.rawValue) changes nothing here: \(options.model) has no integer op "
                 + "that requantizes (QLinearConv, QLinearMatMul, ...); QuantizeLinear/DequantizeLinear pairs and dynamic mode's "
                 + "MatMulInteger/ConvInteger run the same in both modes. A static quantization with --format qoperator has such ops")
        }
        let profile = options.profile ? OpProfile() : nil
        var outputs: [String: Tensor] = [:]
        var runSeconds: [Double] = []
        for _ in 0..<max(1, options.repeats) {
            let started = OpProfile.now()
            do {
                outputs = try interpreter.run(feeds, profile: profile)
            } catch let error as QConvertError {
                throw explained(error, prepared: prepared, model: options.model)
            }
            runSeconds.append(OpProfile.now() - started)
        }
        try write(outputs, to: written, directory: options.outputDirectory)
        let median = runSeconds.count > 1 ? runSeconds.sorted()[runSeconds.count / 2] : nil
        let runs = Double(runSeconds.count)
        return Result(outputs: written, opSeconds: profile.map { $0.seconds.mapValues { $0 / runs } },
                      opCalls: profile.map { $0.calls.mapValues { $0 / runSeconds.count } },
                      medianRunSeconds: median)
    }

    /// The input tensors by name, each .npy checked against its input (a wrong dtype or shape names
    /// the .npy to fix, not the model), and every input the model needs given.
    static func feeds(_ options: Options, for interpreter: Interpreter) throws -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        let expected = interpreter.runtimeInputs
        for (name, path) in options.inputs {
            let resolved: String
            if let name {
                resolved = name
            } else {
                guard !expected.isEmpty else { throw QConvertError("the model takes no inputs; run it without input files") }
                guard expected.count == 1 else {
                    throw QConvertError("the model has \(expected.count) inputs (\(expected.map(\.name).joined(separator: ", "))); pass them as NAME=FILE.npy")
                }
                resolved = expected[0].name
            }
            guard feeds[resolved] == nil else { throw QConvertError("input '\(resolved)' is given twice") }
            let value = try Npy.read(path: path)
            // NaN, infinity and empty tensors are valid inputs to run, unlike calibration samples.
            if let input = expected.first(where: { $0.name == resolved }) { try Interpreter.check(value, against: input, source: path) }
            feeds[resolved] = value
        }
        do {
            try interpreter.checkInputs(feeds)
        } catch let error as QConvertError {
            throw error.context(options.model)
        }
        return feeds
    }

    /// Every output is written under its temporary name before any is renamed into place, so a
    /// failure (a full disk, a name too long) leaves no partial set, nor a folder made for it.
    static func write(_ outputs: [String: Tensor], to paths: [String: String], directory: String) throws {
        let created = try Directory.create(directory)
        do {
            var files: [AtomicFile] = []
            for (name, path) in paths.sorted(by: { $0.key < $1.key }) {
                let file = try AtomicFile(destination: path)
                try file.write(try Npy.encode(outputs[name]!))
                try file.finishWriting()
                files.append(file)
            }
            for file in files { try file.commit() }
        } catch {
            for folder in created.reversed() { rmdir(folder) }
            throw error
        }
    }

    /// Names the model, and says when the failing graph is the prepared one: a node preparation made
    /// or renamed (a folded Conv, a HardSwish made of other ops) is not in the file, and --as-written
    /// tells whether preparation is to blame.
    static func explained(_ error: QConvertError, prepared: Bool, model: String) -> QConvertError {
        let located = error.context(model)
        guard prepared else { return located }
        return QConvertError(located.description + " (in the graph as prepared for running; --as-written runs it as the file writes it)")
    }
}
