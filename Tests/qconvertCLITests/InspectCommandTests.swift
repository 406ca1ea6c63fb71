import Foundation
import QConvert
import QConvertTestSupport
import Testing

/// `qconvert inspect` end to end: the summary ends with what each prepare pass changes.
@Suite struct InspectCommandTests {
    static let model = Fixtures.model("conv_bn_relu").modelPath

    @Test func showsWhatEachPassChanges() {
        let result = CLIRunner.run(["inspect", Self.model])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("prepare (what each pass changes):\n  inline-functions: no change\n  name-nodes: no change\n  infer-shapes: "))
        #expect(result.stdout.contains("\n  fold-batchnorm: 2 BatchNormalization folded (2 into Conv)\n"))
        #expect(result.stdout.contains("\n  fuse-conv-activation: 2 Conv+Relu\n"))
    }

    @Test func jsonListsThePassesInPipelineOrder() throws {
        let result = CLIRunner.run(["inspect", Self.model, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONText.decode(ModelSummary.self, from: Data(result.stdout.utf8))
        #expect(summary.preparation.map(\.pass) == Pipelines.prepare.map(\.name))
        #expect(summary.preparation.first { $0.pass == "fold-batchnorm" }?.changes == 2)
        #expect(summary.preparationError == nil)
    }
}
