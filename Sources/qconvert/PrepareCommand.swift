import ArgumentParser
import QConvert
import QConvertIR
import QConvertONNX

/// `qconvert prepare MODEL -o OUT.onnx`: the float model as quantization will see it.
struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Fold constants and BatchNorm, remove identities and dead nodes; write the float model.",
        discussion: """
            Runs the 'prepare' pipeline (\(Pipelines.prepare.map(\.name).joined(separator: ", "))) that every \
            quantization starts with, and writes the result with its values' inferred shapes in value_info. \
            The output computes the same function as the input. --stop-after and --print-after take these \
            names; quantize accepts them too, and then quantizes the graph as it is at that point.
            """
    )

    @Argument(help: "The float ONNX model.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the prepared model (default: MODEL.prepared.onnx).")
    var output: String?

    @Option(help: WriteOptions.ExternalData.help)
    var externalData: WriteOptions.ExternalData = .automatic

    @OptionGroup var passes: PassOptions

    func validate() throws {
        try requireNonEmpty([("<model>", model), ("--output", output)])
        if let name = passes.printAfter.first(where: Pipelines.afterPreparation.contains) {
            throw ValidationError("--print-after \(name): that pass runs in quantize, on calibration samples, not in prepare")
        }
    }

    func run() throws {
        let destination = output ?? OutputPaths.sibling(of: model, suffix: "prepared")
        try OutputPaths.checkNotAnInput(destination, inputs: [model])
        let loaded = try ONNXReader.load(path: model)
        let options = Preparation.Options(verify: passes.verify, printAfter: Set(passes.printAfter), stopAfter: passes.stopAfter)
        let result: Preparation.Result
        do {
            result = try Preparation.run(loaded.model, options: options)
            try Preparation.refuseQuantized(result.model.graph)
            try Preparation.refuseShapeConflicts(result.model)
        } catch let error as QConvertError {
            throw error.context(model)
        }
        try ONNXWriter.write(result.model, to: destination, options: WriteOptions(externalData: externalData, inputs: loaded.inputFiles))
        Terminal.output(Preparation.text(result.outcomes, timing: passes.stats))
        Terminal.note("wrote \(destination)")
    }
}
