import ArgumentParser
import Foundation
import QConvert
import QConvertONNX

/// `qconvert inspect MODEL [--json]`: what a model holds, without running it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's opsets, inputs and outputs, op histogram and weight sizes.",
        discussion: """
            Reads the model (and its external data, if any) and prints a summary. Subgraphs of If/Loop/Scan \
            are included in the op histogram and the parameter counts. The summary ends with what each pass \
            of the prepare pipeline changes (e.g. "fold-batchnorm: 35 BatchNormalization folded"); the \
            model file is not modified. With --json the same facts are \
            printed as one JSON object (keys: inputs, outputs, op_histogram, parameter_count, \
            parameter_bytes, ...), for scripts.
            """
    )

    @Argument(help: "The ONNX model file.")
    var model: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        try requireNonEmpty([("<model>", model)])
    }

    func run() throws {
        let summary = ModelSummary(try ONNXReader.load(path: model))
        if json {
            print(try JSONText.encode(summary))
        } else {
            Terminal.output(summary.text)
        }
    }
}
