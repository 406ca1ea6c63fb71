import ArgumentParser
import QConvert
#if canImport(Glibc)
import Glibc
#endif

extension Requantization: ExpressibleByArgument {}

/// `qconvert run MODEL --input NAME=FILE.npy ... -o DIR`: run a model with qconvert's interpreter.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on .npy inputs with qconvert's interpreter; write each output as .npy.",
        discussion: """
            Output files are named after the outputs, with characters that are not safe in file names \
            percent-encoded ('a/b' -> a%2Fb.npy); --json prints the name -> path map. A single-input model \
            may take the bare file: qconvert run model.onnx x.npy
            """
    )

    @Argument(help: "The ONNX model.")
    var model: String

    @Argument(help: "Inputs as NAME=FILE.npy (or just FILE.npy for a single-input model; an argument that names an existing file is that file, '=' in its name or not).")
    var inputs: [String] = []

    @Option(name: .customLong("input"), help: "An input as NAME=FILE.npy (repeatable).")
    var namedInputs: [String] = []

    @Option(name: .shortAndLong, help: "Folder for the output .npy files.")
    var output: String = "outputs"

    @Option(parsing: .unconditional, help: "Threads per kernel; the default is every core.")
    var threads: Int = Parallel.defaultThreads

    @Option(help: "How integer ops requantize: float (as ONNX Runtime) or fixed-point (integer-only inference).")
    var requantization: Requantization = .float

    @Flag(help: "Run the graph as the file writes it. By default a float model runs prepared, as calibration runs it (BatchNorm folded into the layer before it, HardSwish spelt out in other ops run as one HardSwish), which is faster and agrees with the graph as written to float rounding; a quantized model always runs as written.")
    var asWritten = false

    @Flag(help: "Print the output name -> file map as JSON.")
    var json = false

    @Flag(help: "Print time spent per op type (of the graph as it runs: prepared, unless --as-written).")
    var time = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Run the model N times and report the median run (in --json as median_run_seconds); for benchmarks.", visibility: .hidden))
    var `repeat`: Int = 1

    /// `--json` output: the output files, and the median run time when the model ran more than once.
    struct Report: Encodable {
        let outputs: [String: String]
        let medianRunSeconds: Double?
    }

    func validate() throws {
        try requireNonEmpty([("<model>", model), ("--output", output)])
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        if let empty = (inputs + namedInputs).first(where: { $0.isEmpty || $0.hasSuffix("=") }) {
            throw ValidationError("input '\(empty)' names no file; give NAME=FILE.npy")
        }
    }

    /// NAME=FILE as (NAME, FILE); a spec without '=' before ".npy" is a bare file.
    static func split(_ spec: String) -> (name: String?, path: String) {
        if let eq = spec.firstIndex(of: "="), !spec[..<eq].hasSuffix(".npy") {
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        return (nil, spec)
    }

    func run() throws {
        // A bare argument that names an existing file is that file, '=' in its path or not
        // ("a=b.npy" was read as input 'a' from b.npy); --input always takes NAME=FILE.
        let parsed = inputs.map { spec in Directory.type(of: spec) == S_IFREG ? (nil, spec) : Self.split(spec) } + namedInputs.map(Self.split)
        let result = try ModelRun.run(ModelRun.Options(model: model, inputs: parsed, outputDirectory: output, threads: threads, profile: time,
                                                       repeats: `repeat`, requantization: requantization, asWritten: asWritten),
                                      warn: { Terminal.note("warning: " + $0) })
        if json {
            print(try JSONText.encode(Report(outputs: result.outputs, medianRunSeconds: result.medianRunSeconds)))
        } else {
            for (name, path) in result.outputs.sorted(by: { $0.key < $1.key }) { Terminal.output("\(name) -> \(path)") }
        }
        if time, let seconds = result.opSeconds {
            let total = seconds.values.reduce(0, +)
            let rows = seconds.sorted { $0.value > $1.value }.map { entry in
                [entry.key, String(result.opCalls?[entry.key] ?? 0), Formatting.fixed(entry.value * 1000, digits: 2) + " ms",
                 Formatting.fixed(100 * entry.value / max(total, 1e-12), digits: 1) + "%"]
            }
            Terminal.note(Formatting.table([["op", "calls", "time", "share"]] + rows))
        }
        if let median = result.medianRunSeconds {
            Terminal.note("median run: \(Formatting.fixed(median * 1000, digits: 3)) ms over \(`repeat`) runs\(time ? " (timed per op)" : "")")
        }
    }
}
