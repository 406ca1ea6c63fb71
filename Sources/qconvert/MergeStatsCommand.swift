import ArgumentParser
import QConvert

/// `qconvert merge-stats a.json b.json ... -o all.json`: combine statistics calibrated in shards.
struct MergeStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-stats",
        abstract: "Merge calibration statistics of the same model (e.g. from shards) into one file.",
        discussion: """
            The result is exactly what calibrating all the shards' samples in one run gives: min/max \
            and histograms merge without loss. All files must come from the same model.
            """
    )

    @Argument(help: "Statistics files written by qconvert calibrate.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Where to write the merged statistics.")
    var output: String

    func validate() throws {
        try requireNonEmpty(inputs.map { ("<inputs>", $0) } + [("--output", output)])
        if inputs.isEmpty { throw ValidationError("give at least one statistics file") }
    }

    func run() throws {
        let merged = try ModelCalibration.merge(inputs, output: output)
        Terminal.note("merged \(Formatting.count(inputs.count, "file")): \(Formatting.count(merged.sampleCount, "sample")), \(Formatting.count(merged.tensors.count, "tensor")); wrote \(output)")
        let repeated = merged.repeatedSamples
        if let first = repeated.first {
            Terminal.note("warning: \(Formatting.count(repeated.count, "sample")) appear more than once (first repeat: '\(first)'); each counts once per appearance: merge shards of different samples")
        }
    }
}
