import QConvertIR
import QConvertONNX

/// Running the `prepare` pipeline on a model: the library side of `qconvert prepare` and of the
/// preparation step every quantization starts with.
public enum Preparation {
    public struct Options: Sendable {
        public var verify: Bool
        public var printAfter: Set<String>
        public var stopAfter: String?

        public init(verify: Bool = false, printAfter: Set<String> = [], stopAfter: String? = nil) {
            self.verify = verify
            self.printAfter = printAfter
            self.stopAfter = stopAfter
        }
    }

    /// The prepared model, the facts passes recorded, and what each pass did.
    public struct Result {
        public var model: Model
        public var context: PassContext
        public var outcomes: [PassManager.Outcome]
    }

    public static func run(_ model: Model, options: Options = Options()) throws -> Result {
        try SupportedOpsets.check(model)
        var model = model
        let context = PassContext()
        let manager = PassManager(verify: options.verify, printAfter: options.printAfter, stopAfter: options.stopAfter)
        let outcomes = try manager.run(Pipelines.prepare, on: &model, context: context)
        return Result(model: model, context: context, outcomes: outcomes)
    }

    /// One line per pass: "fold-batchnorm: 35 BatchNormalization folded (35 into Conv)  [1.2 ms]".
    public static func text(_ outcomes: [PassManager.Outcome], timing: Bool) -> String {
        outcomes.map { outcome in
            "\(outcome.pass): \(outcome.report.summary)" + (timing ? "  [\(Formatting.fixed(outcome.seconds * 1000, digits: 1)) ms]" : "")
        }.joined(separator: "\n")
    }
}
