import QConvert
import QConvertIR

/// The check every pass test makes: run one pass (with graph verification), and compare interpreter
/// outputs before and after on the same inputs.
public enum PassChecks {
    /// Runs `pass` alone on `model` and returns the rewritten model and its report.
    public static func run(_ pass: any Pass, on model: Model, context: PassContext = PassContext()) throws -> (Model, PassReport) {
        var rewritten = model
        let outcomes = try PassManager(verify: true).run([pass], on: &rewritten, context: context)
        return (rewritten, outcomes[0].report)
    }

    /// The lowest SQNR (dB) over all outputs between `before` and `after` run on `feeds`.
    public static func outputAgreement(_ before: Model, _ after: Model, feeds: [String: Tensor]) throws -> Double {
        let a = try Interpreter(model: before, threads: 1).run(feeds)
        let b = try Interpreter(model: after, threads: 1).run(feeds)
        var worst = Double.infinity
        for output in before.graph.outputs {
            guard let x = a[output.name], let y = b[output.name] else { return -.infinity }
            worst = min(worst, Closeness.sqnr(reference: x, test: y))
        }
        return worst
    }

    /// Op types of the graph's nodes, in order.
    public static func ops(_ model: Model) -> [String] {
        model.graph.nodes.map(\.opType)
    }
}
