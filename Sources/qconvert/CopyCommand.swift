import ArgumentParser
import QConvert
import QConvertONNX

extension WriteOptions.ExternalData: ExpressibleByArgument {
    /// The --external-data help, one text for every command that writes a model.
    static let help = ArgumentHelp(
        "Where tensor bytes go: automatic (into NAME.data beside the output NAME.onnx only above 2 GB, the protobuf limit), always (every tensor of 1 KB or more into NAME.data; smaller ones stay inline, so a small model may write none), or never.")
}

/// `qconvert copy IN -o OUT`: read a model and write it back through qconvert's reader and writer.
struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Read a model and write it again (round trip), optionally moving weights to external data.",
        discussion: """
            Everything in the file survives, including ops, attributes and protobuf fields qconvert does \
            not know. Use --external-data always to store weights in OUT's sibling file <name>.data, or \
            never to embed external weights into one file.
            """
    )

    @Argument(help: "The ONNX model to read.")
    var model: String

    @Option(name: .shortAndLong, help: "Where to write the copy.")
    var output: String

    @Option(help: WriteOptions.ExternalData.help)
    var externalData: WriteOptions.ExternalData = .automatic

    @Flag(help: "Print the time spent reading and writing.")
    var time = false

    func validate() throws {
        try requireNonEmpty([("<model>", model), ("--output", output)])
    }

    func run() throws {
        try OutputPaths.checkNotAnInput(output, inputs: [model])
        let reading = Stopwatch()
        let loaded = try ONNXReader.load(path: model)
        let readSeconds = reading.seconds
        let writing = Stopwatch()
        let written = try ONNXWriter.write(loaded.model, to: output, options: WriteOptions(externalData: externalData, inputs: loaded.inputFiles))
        let writeSeconds = writing.seconds
        Terminal.note("wrote " + written.joined(separator: ", "))
        if time {
            Terminal.note("read \(Formatting.fixed(readSeconds * 1000, digits: 1)) ms, write \(Formatting.fixed(writeSeconds * 1000, digits: 1)) ms")
        }
    }
}
