import ArgumentParser
import QConvert

/// Flags for watching and bisecting the pass pipeline, shared by the commands that run it.
struct PassOptions: ParsableArguments {
    @Flag(help: "Check the graph is well formed after every pass.")
    var verify = false

    @Option(name: .customLong("print-after"), help: ArgumentHelp("Print the graph after this pass (repeatable).", valueName: "pass"))
    var printAfter: [String] = []

    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop the pipeline after this pass.", valueName: "pass"))
    var stopAfter: String?

    @Flag(help: "Print what each pass changed and how long it took.")
    var stats = false

    /// A pass name must be one of the pipeline's: an argument mistake, found before any work.
    func validate() throws {
        let known = Pipelines.prepare.map(\.name)
        for name in printAfter + (stopAfter.map { [$0] } ?? []) where !known.contains(name) {
            throw ValidationError("no pass named '\(name)'; the passes are \(known.joined(separator: ", "))")
        }
    }
}
