import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// Every whole-model fixture in Fixtures/models (Scripts/make-fixtures.py, truth from ONNX Runtime)
/// run through the interpreter at 1 and 2 threads: outputs must match ORT's within 1e-4 relative /
/// 1e-5 absolute and be bit-identical across thread counts (kernels split work in fixed chunks).
@Suite struct FixtureModelTests {
    /// Fixtures ORT can run (the others have no committed outputs).
    static let runnable = Fixtures.models().filter { (try? $0.expectedOutputs().isEmpty) == false }

    @Test(arguments: runnable)
    func matchesOnnxRuntimeAtOneAndTwoThreads(_ fixture: FixtureCase) throws {
        let model = try fixture.model()
        let expected = try fixture.expectedOutputs()
        try #require(expected.count == model.graph.outputs.count, "\(fixture.name): one output_<k>.npy per graph output")
        let single = try Interpreter(model: model, threads: 1).run(try fixture.feeds())
        let double = try Interpreter(model: model, threads: 2).run(try fixture.feeds())
        for (index, output) in model.graph.outputs.enumerated() {
            let actual = try #require(single[output.name])
            if let problem = Closeness.mismatch(actual, expected[index]) {
                Issue.record("\(fixture.name) output \(output.name): \(problem)")
            }
            let other = try #require(double[output.name])
            #expect(actual.shape == other.shape && Array(actual.storage.bytes) == Array(other.storage.bytes),
                    "\(fixture.name) output \(output.name): 1 and 2 threads differ")
        }
    }

    @Test func coversEveryFixtureButTheUnknownOp() {
        #expect(Set(Fixtures.models().map(\.name)).subtracting(Self.runnable.map(\.name)) == ["unknown_op"])
    }

    /// The one fixture ORT cannot run holds an op in a custom domain: the interpreter must refuse it at
    /// load time with an error naming the op and the node.
    @Test func unknownOpIsAnErrorNamingOpAndNode() throws {
        let model = try Fixtures.model("unknown_op").model()
        #expect {
            _ = try Interpreter(model: model)
        } throws: { error in
            let text = "\(error)"
            return text.contains("FancyOp") && text.contains("fancyop_0")
        }
    }

    /// Every unsupported op type of the graph is named in the one error, not one per run.
    @Test func otherUnsupportedOpsAreNamedToo() throws {
        var b = GraphBuilder()
        let x = b.input("x", [4])
        let y = b.node("NoSuchOpA", [b.node("NoSuchOpB", [b.node("Relu", [x])])])
        b.output(b.node("NoSuchOpC", [y]))
        #expect {
            _ = try Interpreter(model: b.model)
        } throws: { error in
            "\(error)".hasSuffix("op NoSuchOpB is not supported by qconvert's interpreter (nor are NoSuchOpA, NoSuchOpC, also in this graph)")
        }
    }
}
