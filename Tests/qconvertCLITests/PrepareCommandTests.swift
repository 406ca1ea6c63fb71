import QConvertTestSupport
import Testing

/// `qconvert prepare` refuses a quantized model (it would fold its int8 weights back into float ones)
/// with one error line and writes nothing.
@Suite struct PrepareRefusalTests {
    let directories = TemporaryDirectories()

    @Test func preparingAQuantizedModelIsRefused() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let folder = directories.make()
        let quantized = CLIRunner.run([fixture.directory + "/model.onnx", "--calib", fixture.directory + "/calib", "-o", folder + "/q.onnx", "--quiet"])
        try #require(quantized.status == 0, "\(quantized.stderr)")
        let result = CLIRunner.run(["prepare", folder + "/q.onnx", "-o", folder + "/p.onnx"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(folder)/q.onnx: already quantized (") && result.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!FileChecks.exists(folder + "/p.onnx"))
    }
}
