import QConvertTestSupport
import Testing

/// `--print-after` and `--stats` through the built binary: prepare prints its own passes; quantize
/// also prints activation equalization, which it runs after preparation and lists in `--stats`.
@Suite struct PassOptionsTests {
    let temporary = TemporaryDirectories()
    static let fixture = Fixtures.model("conv_bn_relu")

    @Test func preparePrintsTheGraphAfterAPass() {
        let result = CLIRunner.run(["prepare", Self.fixture.modelPath, "-o", temporary.make() + "/p.onnx", "--print-after", "fold-batchnorm"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("// after fold-batchnorm: "), "\(result.stderr)")
    }

    /// `--stats` listed equalize-activations, which `--print-after` refused as no pass.
    @Test func quantizePrintsTheGraphAfterEqualization() {
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", temporary.make() + "/q.onnx",
                                    "--quiet", "--threads", "1", "--print-after", "equalize-activations", "--print-after", "fold-batchnorm", "--stats"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("// after fold-batchnorm: ") && result.stderr.contains("// after equalize-activations: "), "\(result.stderr)")
        #expect(result.stdout.contains("equalize-activations"), "\(result.stdout)")
    }
}
