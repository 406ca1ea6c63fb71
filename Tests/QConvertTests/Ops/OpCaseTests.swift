import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// Every single-op case in Fixtures/ops (built by Scripts/make-op-cases.py, truth from ONNX Runtime)
/// run through the interpreter, with 1 and 2 threads (results must be bit-identical).
@Suite struct OpCaseTests {
    @Test(arguments: Fixtures.ops())
    func matchesOnnxRuntime(_ fixture: FixtureCase) throws {
        let model = try fixture.model()
        let expected = try fixture.expectedOutputs()
        let single = try Interpreter(model: model, threads: 1).run(try fixture.feeds())
        let double = try Interpreter(model: model, threads: 2).run(try fixture.feeds())
        for (index, output) in model.graph.outputs.enumerated() {
            let actual = try #require(single[output.name])
            if let problem = Closeness.mismatch(actual, expected[index]) {
                Issue.record("\(fixture.name) output \(output.name): \(problem)")
            }
            let other = try #require(double[output.name])
            #expect(Array(actual.storage.bytes) == Array(other.storage.bytes), "\(fixture.name): 1 vs 2 threads differ")
        }
    }

    @Test func registryHasNoDuplicates() {
        let keys = OpRegistry.operators.map { $0.domain + ":" + $0.type }
        #expect(Set(keys).count == keys.count)
        #expect(keys == keys.sorted(), "OpRegistry.operators must stay alphabetised")
    }
}
