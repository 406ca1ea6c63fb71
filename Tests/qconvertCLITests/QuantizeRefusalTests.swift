import QConvertTestSupport
import Testing

/// Without --calib, `qconvert QUANTIZED.onnx` says the model is already quantized (passing --calib
/// would not help); a float model is told it needs samples. One error line, nothing written.
@Suite struct QuantizeRefusalTests {
    let directories = TemporaryDirectories()

    @Test func alreadyQuantizedIsSaidBeforeMissingSamples() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let folder = directories.make()
        let quantized = CLIRunner.run([fixture.directory + "/model.onnx", "--calib", fixture.directory + "/calib", "-o", folder + "/q.onnx", "--quiet"])
        try #require(quantized.status == 0, "\(quantized.stderr)")
        for (model, expected) in [(folder + "/q.onnx", "error: \(folder)/q.onnx: already quantized ("),
                                  (fixture.directory + "/model.onnx", "error: static quantization needs calibration samples: pass --calib DIR")] {
            let result = CLIRunner.run([model, "-o", folder + "/out.onnx"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix(expected) && result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
            #expect(!FileChecks.exists(folder + "/out.onnx"))
        }
    }
}
