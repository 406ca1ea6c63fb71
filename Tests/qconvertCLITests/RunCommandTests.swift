import Foundation
import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// `qconvert run` end to end: by default the model runs prepared (its BatchNormalizations folded
/// away), with --as-written exactly as the file writes it; both give ONNX Runtime's outputs.
@Suite struct RunCommandTests {
    let temporary = TemporaryDirectories()

    /// The one output a `run --json` wrote, read back.
    func onlyOutput(_ result: CLIRunner.Result) throws -> Tensor {
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try Npy.read(path: try #require((report["outputs"] as? [String: String])?.values.first))
    }

    /// conv_bn_relu has two BatchNormalizations after Convs.
    @Test(arguments: [false, true])
    func matchesONNXRuntimeEitherWay(asWritten: Bool) throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let output = temporary.make()
        let result = CLIRunner.run(["run", fixture.modelPath, fixture.directory + "/input_0.npy", "-o", output, "--json", "--time"]
                                   + (asWritten ? ["--as-written"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Closeness.mismatch(try onlyOutput(result), try #require(fixture.expectedOutputs().first)) == nil)
        // The per-op table (stderr) names the ops that ran.
        #expect(result.stderr.contains("BatchNormalization") == asWritten, "\(result.stderr)")
    }

    /// A bare input file whose path holds '=' is that file: "a=b.npy" was taken for input 'a' from
    /// b.npy, and the error named a file the user never gave.
    @Test func bareInputPathWithAnEqualsSign() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let folder = temporary.make() + "/x=y"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.directory + "/input_0.npy", toPath: folder + "/in=0.npy")
        let result = CLIRunner.run(["run", fixture.modelPath, folder + "/in=0.npy", "-o", temporary.make(), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Closeness.mismatch(try onlyOutput(result), try #require(fixture.expectedOutputs().first)) == nil)
    }

    /// range_empty computes its output from constants alone: it takes no input file.
    @Test func modelWithoutInputsRuns() throws {
        let fixture = try #require(Fixtures.ops().first { $0.name == "range_empty" })
        let output = temporary.make()
        let result = CLIRunner.run(["run", fixture.modelPath, "-o", output, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Closeness.mismatch(try onlyOutput(result), try #require(fixture.expectedOutputs().first)) == nil)
        let given = CLIRunner.run(["run", fixture.modelPath, fixture.modelPath, "-o", output])
        #expect(given.status == 1 && given.stderr.contains("the model takes no inputs; run it without input files"), "\(given.stderr)")
    }

    @Test func missingInputIsNamed() {
        let fixture = Fixtures.model("conv_bn_relu")
        let result = CLIRunner.run(["run", fixture.modelPath, "-o", temporary.make()])
        #expect(result.status == 1)
        // A mistake in the command, not in the prepared graph: no note about preparation.
        #expect(result.stderr == "error: " + fixture.modelPath + ": input 'input' was not given\n", "\(result.stderr)")
    }

    /// Opset 7's BatchNormalization with spatial = 0 has no opset-14 form in preparation yet: the graph
    /// runs as written, said so. A mistake in the command (an input of the wrong shape) stays a
    /// one-line error: warnings come only once the run is about to start.
    @Test func unpreparableGraphRunsAsWritten() throws {
        let fixture = try #require(Fixtures.ops().first { $0.name == "batchnorm_spatial0_opset7" })
        let result = CLIRunner.run(["run", fixture.modelPath, fixture.directory + "/input_0.npy", "-o", temporary.make(), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let warning = "warning: running the graph as written, unprepared: "
        #expect(result.stderr.contains(warning), "\(result.stderr)")
        #expect(Closeness.mismatch(try onlyOutput(result), try #require(fixture.expectedOutputs().first)) == nil)
        let wrongShape = temporary.make() + "/x.npy"
        FileChecks.write(try Npy.encode(Tensor(shape: [3], scalars: [Float(1), 2, 3])), to: wrongShape)
        let failed = CLIRunner.run(["run", fixture.modelPath, wrongShape, "-o", temporary.make()])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(failed.stderr.hasPrefix("error: " + wrongShape + ": ") && failed.stderrLineCount == 1, "\(failed.stderr)")
    }

    /// A run that fails in the prepared graph says so, since a node preparation made is not in the
    /// file; --as-written then fails on the file's own graph, without that note. (A Reshape to [2, 3]
    /// of an input of any length: preparation cannot know it fails, the run can.)
    @Test(arguments: [false, true])
    func failureSaysWhichGraph(asWritten: Bool) throws {
        var b = GraphBuilder()
        let x = b.input("x", [.param("n")])
        b.output(b.node("Reshape", [x, b.constant("shape", Tensor(shape: [2], scalars: [Int64(2), 3]))]))
        let work = temporary.make()
        try ONNXWriter.write(b.model, to: work + "/m.onnx")
        FileChecks.write(try Npy.encode(Tensor(shape: [5], scalars: [Float](repeating: 1, count: 5))), to: work + "/x.npy")
        let result = CLIRunner.run(["run", work + "/m.onnx", work + "/x.npy", "-o", work + "/out"] + (asWritten ? ["--as-written"] : []))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: " + work + "/m.onnx: ") && result.stderr.contains("Reshape"), "\(result.stderr)")
        #expect(result.stderr.contains("in the graph as prepared for running; --as-written runs it") != asWritten, "\(result.stderr)")
        #expect(result.stderrLineCount == 1, "\(result.stderr)")
    }

    /// A quantized model (here a Q/DQ pair, then a Conv and a BatchNormalization in float) runs as
    /// written: preparing it would fold the BatchNormalization.
    @Test func quantizedModelRunsAsWritten() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 2, 4, 4])
        let scale = b.constant("s", Tensor(scalar: Float(0.05))), zero = b.constant("z", Tensor(scalar: UInt8(128)))
        let dequantized = b.node("DequantizeLinear", [b.node("QuantizeLinear", [x, scale, zero]), scale, zero])
        let y = b.node("Conv", [dequantized, b.constant("w", r.normal([2, 2, 1, 1]))])
        let parameters = ["g", "beta", "mean", "var"].map { b.constant($0, r.uniform([2], 0.5...1.5)) }
        b.output(b.node("BatchNormalization", [y] + parameters))
        let work = temporary.make()
        try ONNXWriter.write(b.model, to: work + "/q.onnx")
        FileChecks.write(try Npy.encode(r.normal([1, 2, 4, 4])), to: work + "/x.npy")
        let result = CLIRunner.run(["run", work + "/q.onnx", work + "/x.npy", "-o", work + "/out", "--time"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("BatchNormalization"), "\(result.stderr)")
    }
}
