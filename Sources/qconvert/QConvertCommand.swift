import ArgumentParser
import QConvert
import QConvertIR
import QConvertONNX

#if canImport(Glibc)
import Glibc
#endif

/// The `qconvert` root command. Errors from the library are printed as one `error: ...` line on
/// stderr with exit status 1; argument mistakes too, with ArgumentParser's exit status (64) and a
/// pointer to the subcommand's help instead of its multi-line usage block, so scripts reading
/// stderr see one line whatever went wrong.
@main
struct QConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qconvert",
        abstract: "Post-training int8 quantization of ONNX models.",
        version: QConvertVersion.current,
        subcommands: [QuantizeCommand.self, InspectCommand.self, PrepareCommand.self, CalibrateCommand.self,
                      MergeStatsCommand.self, CompareCommand.self, RunCommand.self, CopyCommand.self],
        defaultSubcommand: QuantizeCommand.self
    )

    static func main() {
        AtomicFile.removeOnSignals()
        do {
            try requireUTF8Arguments()
            try requireKnownHelpTopic(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot()
            try command.run()
            try StandardOutput.finish()
        } catch let error as QConvertError {
            Terminal.error(error.description)
            Glibc.exit(1)
        } catch {
            // --help and --version arrive as errors too; they keep their own output.
            guard exitCode(for: error) != .success else { exit(withError: error) }
            var message = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            Terminal.error(message + " (see `qconvert help` or `qconvert help <subcommand>`)")
            Glibc.exit(exitCode(for: error).rawValue)
        }
    }
}
