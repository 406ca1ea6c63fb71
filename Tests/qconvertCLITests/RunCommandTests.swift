import Foundation
import QConvert
import QConvertTestSupport
import Testing

/// `qconvert run` end to end: by default the model runs prepared (its BatchNormalizations folded
/// away), with --as-written exactly as the file writes it; both give ONNX Runtime's outputs.
@Suite struct RunCommandTests {
    let temporary = TemporaryDirectories()

    /// conv_bn_relu has two BatchNormalizations after Convs.
    @Test(arguments: [false, true])
    func matchesONNXRuntimeEitherWay(asWritten: Bool) throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let output = temporary.make()
        let result = CLIRunner.run(["run", fixture.modelPath, fixture.directory + "/input_0.npy", "-o", output, "--json", "--time"]
                                   + (asWritten ? ["--as-written"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let files = try #require(report["outputs"] as? [String: String])
        let path = try #require(files.values.first)
        #expect(Closeness.mismatch(try Npy.read(path: path), try #require(fixture.expectedOutputs().first)) == nil)
        // The per-op table (stderr) names the ops that ran.
        #expect(result.stderr.contains("BatchNormalization") == asWritten, "\(result.stderr)")
    }
}
