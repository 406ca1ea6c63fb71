import QConvertIR

/// Runs a pipeline of passes, optionally verifying the graph after each one, printing the graph after
/// named passes, stopping after one, and timing each (for `--verify`, `--print-after`, `--stop-after`,
/// `--stats`, and bisecting a bad rewrite).
public struct PassManager {
    public var verify: Bool
    public var printAfter: Set<String>
    public var stopAfter: String?
    /// Where `--print-after` dumps go.
    public var printer: (String) -> Void

    public init(verify: Bool = false, printAfter: Set<String> = [], stopAfter: String? = nil,
                printer: @escaping (String) -> Void = { StandardError.write($0 + "\n") }) {
        self.verify = verify
        self.printAfter = printAfter
        self.stopAfter = stopAfter
        self.printer = printer
    }

    /// What one pass did and how long it took.
    public struct Outcome: Codable, Sendable, Equatable {
        public var pass: String
        public var report: PassReport
        public var seconds: Double
    }

    /// Checks that every name given to --print-after/--stop-after is a pass of `pipeline`.
    public func checkNames(in pipeline: [any Pass]) throws {
        let known = Set(pipeline.map(\.name))
        for name in printAfter.union(stopAfter.map { [$0] } ?? []) where !known.contains(name) {
            throw QConvertError("no pass named '\(name)'; the passes are \(pipeline.map(\.name).joined(separator: ", "))")
        }
    }

    public func run(_ pipeline: [any Pass], on model: inout Model, context: PassContext) throws -> [Outcome] {
        try checkNames(in: pipeline)
        var outcomes: [Outcome] = []
        for pass in pipeline {
            let clock = Stopwatch()
            let report: PassReport
            do {
                report = try pass.run(&model, context)
                if verify { try model.graph.validate() }
            } catch let error as QConvertError {
                throw error.context("pass \(pass.name)")
            }
            outcomes.append(Outcome(pass: pass.name, report: report, seconds: clock.seconds))
            if printAfter.contains(pass.name) {
                printer("// after \(pass.name): \(report.summary)\n" + model.graph.text())
            }
            if stopAfter == pass.name { break }
        }
        return outcomes
    }
}
