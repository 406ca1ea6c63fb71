import ArgumentParser
import QConvert
import QConvertIR

/// Flags for watching and bisecting the pass pipeline, shared by the commands that run it.
struct PassOptions: ParsableArguments {
    @Flag(help: "Check the graph is well formed after every pass.")
    var verify = false

    @Option(name: .customLong("print-after"), help: ArgumentHelp("Print the graph after this pass (repeatable). quantize also takes equalize-activations, which it runs with calibration samples and no statistics file.", valueName: "pass"))
    var printAfter: [String] = []

    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop the pipeline after this pass.", valueName: "pass"))
    var stopAfter: String?

    @Flag(help: "Print what each pass changed and how long it took (prepare prints the changes anyway; this adds the times).")
    var stats = false

    /// A pass name must be one of the pipeline's: an argument mistake, found before any work by the
    /// same check the pass manager makes. `--print-after` also takes the passes quantize runs after
    /// preparation (PrepareCommand refuses those).
    func validate() throws {
        do {
            try PassManager(printAfter: Set(printAfter).subtracting(Pipelines.afterPreparation), stopAfter: stopAfter).checkNames(in: Pipelines.prepare)
        } catch let error as QConvertError {
            throw ValidationError(error.description)
        }
    }
}
