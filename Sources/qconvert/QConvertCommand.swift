import ArgumentParser
import QConvert
import QConvertIR

#if canImport(Glibc)
import Glibc
#endif

/// The `qconvert` root command. Errors from the library are printed as one `error: ...` line on
/// stderr with exit status 1; argument mistakes get ArgumentParser's usage message.
@main
struct QConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qconvert",
        abstract: "Post-training int8 quantization of ONNX models.",
        subcommands: [QuantizeCommand.self, InspectCommand.self, PrepareCommand.self, CalibrateCommand.self,
                      MergeStatsCommand.self, CompareCommand.self, RunCommand.self, CopyCommand.self],
        defaultSubcommand: QuantizeCommand.self
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as QConvertError {
            Terminal.error(error.description)
            Glibc.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
