import QConvertTestSupport
import Testing

/// A model qconvert already quantized, given back to it: one error line saying so, nothing written.
@Suite struct QuantizedModelRefusalTests {
    let directories = TemporaryDirectories()
    let fixture = Fixtures.model("conv_bn_relu")

    /// The fixture quantized into `folder`.
    func quantized(in folder: String) throws -> String {
        let result = CLIRunner.run([fixture.directory + "/model.onnx", "--calib", fixture.directory + "/calib", "-o", folder + "/q.onnx", "--quiet"])
        try #require(result.status == 0, "\(result.stderr)")
        return folder + "/q.onnx"
    }

    func expectOneError(_ result: CLIRunner.Result, _ prefix: String) {
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix(prefix) && result.stderrLineCount == 1, "\(result.stderr)")
    }

    /// A weight-only output is taken for the float model it stands for (its weights dequantized),
    /// not refused, but the summary says its weights are rounded a second time; the float original
    /// draws no such note.
    @Test func weightOnlyOutputQuantizedAgainIsSaid() throws {
        let folder = directories.make()
        let weightOnly = CLIRunner.run([fixture.modelPath, "--mode", "weight-only", "-o", folder + "/w.onnx", "--quiet"])
        try #require(weightOnly.status == 0, "\(weightOnly.stderr)")
        #expect(!weightOnly.stdout.contains("quantized already"), "\(weightOnly.stdout)")
        let again = CLIRunner.run([folder + "/w.onnx", "--calib", fixture.directory + "/calib", "-o", folder + "/q.onnx", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("note: the model stores 3 weights quantized already"), "\(again.stdout)")
    }

    /// `prepare` would fold its int8 weights back into float ones.
    @Test func prepareRefusesIt() throws {
        let folder = directories.make()
        let model = try quantized(in: folder)
        expectOneError(CLIRunner.run(["prepare", model, "-o", folder + "/p.onnx"]), "error: \(model): already quantized (")
        #expect(!FileChecks.exists(folder + "/p.onnx"))
    }

    /// `calibrate` would write statistics that quantize, refusing the model, could never use.
    @Test func calibrateRefusesIt() throws {
        let folder = directories.make()
        let model = try quantized(in: folder)
        let result = CLIRunner.run(["calibrate", model, "--calib", fixture.directory + "/calib", "-o", folder + "/s.json", "--quiet"])
        expectOneError(result, "error: \(model): already quantized (")
        #expect(!FileChecks.exists(folder + "/s.json"))
    }

    /// Without --calib, the refusal comes first (passing --calib would not help); a float model is
    /// told it needs samples.
    @Test func quantizeSaysAlreadyQuantizedBeforeMissingSamples() throws {
        let folder = directories.make()
        let model = try quantized(in: folder)
        for (input, prefix) in [(model, "error: \(model): already quantized ("),
                                (fixture.directory + "/model.onnx", "error: static quantization needs calibration samples: pass --calib DIR")] {
            expectOneError(CLIRunner.run([input, "-o", folder + "/out.onnx"]), prefix)
            #expect(!FileChecks.exists(folder + "/out.onnx"))
        }
    }
}
