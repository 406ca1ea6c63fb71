import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// `--report PATH` on quantize and `qconvert compare` through the built binary: the extension picks
/// the format, an unknown one is refused before any work, and compare lists the quantized nodes.
@Suite struct ReportCommandTests {
    static let fixture = Fixtures.model("conv_bn_relu")
    let temporary = TemporaryDirectories()

    /// --target-sqnr's figures are against the prepared float model, the output SQNR line's against
    /// the original: the summary says so (one run read "inf" next to 137.9 dB, unexplained).
    @Test func targetSQNRNamesWhatItComparesWith() {
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", temporary.make() + "/q.onnx",
                                    "--quiet", "--threads", "1", "--target-sqnr", "10"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("target 10.0 dB (held-out samples, against the prepared float model): already met ("), "\(result.stdout)")
    }

    @Test func unknownReportFormatIsRefusedBeforeWork() {
        let dir = temporary.make()
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx",
                                    "--report", dir + "/r.txt", "--quiet"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--report \(dir)/r.txt: unknown format; name the file .json, .md or .html"))
        #expect(!FileChecks.exists(dir + "/q.onnx") && !FileChecks.exists(dir + "/r.txt"))
    }

    @Test func quantizeWritesTheReportAndCompareReadsTheModel() throws {
        let dir = temporary.make()
        let quantize = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx",
                                      "--report", dir + "/r.html", "--quiet", "--threads", "1"])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        #expect(quantize.stdout.contains("report: \(dir)/r.html"))
        let html = String(decoding: FileChecks.read(dir + "/r.html") ?? [], as: UTF8.self)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg id=\"sqnr-chart\""))

        let compare = CLIRunner.run(["compare", Self.fixture.modelPath, dir + "/q.onnx", "--data", Self.fixture.directory + "/calib",
                                     "--samples", "2", "--report", dir + "/c.md", "--threads", "1"])
        #expect(compare.status == 0, "\(compare.stderr)")
        // conv_0 and conv_1 (each fused with its Relu) and the Gemm.
        #expect(compare.stdout.contains("quantized nodes: 3"))
        let markdown = String(decoding: FileChecks.read(dir + "/c.md") ?? [], as: UTF8.self)
        #expect(markdown.hasPrefix("# qconvert compare report") && markdown.contains("## Layers (3 quantized nodes"))
    }

    /// Two float models would report float against float, "0 quantized nodes", and exit 0: refused,
    /// naming the model that has no quantized node.
    @Test func compareRefusesAFloatModelAsTheQuantizedOne() {
        let result = CLIRunner.run(["compare", Self.fixture.modelPath, Self.fixture.modelPath, "--data", Self.fixture.directory + "/calib"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(Self.fixture.modelPath): has no quantized node (no Q/DQ-wrapped or integer op), so there is nothing to report on: compare takes the float model first, then the quantized one\n")
    }

    /// A quantized model whose scale is damaged (an activation's NaN or negative, a weight's NaN):
    /// one line naming the node and the scale, not a crash in the report's grid arithmetic. A weight
    /// channel's scale of 0 (a dead channel dequantized to zeros) is accepted.
    @Test(arguments: [(Float.nan, false), (-1, false), (.nan, true), (0, true)])
    func compareRefusesABrokenScale(_ scale: Float, weight: Bool) throws {
        let dir = temporary.make()
        let quantize = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx", "--quiet"])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        var model = try ONNXReader.read(path: dir + "/q.onnx")
        let quantizer = model.graph.nodes.first { node in
            weight ? node.opType == "DequantizeLinear" && model.graph.initializers[node.inputs[0]]?.dataType == .int8
                   : node.opType == "QuantizeLinear"
        }
        let name = try #require(quantizer?.inputs[1])
        let old = try #require(model.graph.initializers[name])
        model.graph.initializers[name] = Tensor(shape: old.shape, scalars: [scale] + (old.floats() ?? []).dropFirst())
        try ONNXWriter.write(model, to: dir + "/broken.onnx")
        let result = CLIRunner.run(["compare", Self.fixture.modelPath, dir + "/broken.onnx", "--data", Self.fixture.directory + "/calib"])
        if weight && scale == 0 {
            #expect(result.status == 0, "\(result.stderr)")
            return
        }
        let rule = weight ? "a weight's scales must be finite and not negative" : "an activation's scale must be finite and positive"
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(dir)/broken.onnx: node '") && result.stderr.hasSuffix(
            "scale '\(name)' holds \(scale); \(rule)\n"), "\(result.stderr)")
    }

    /// The float model's errors are that model's, not the quantized one's: an op the interpreter
    /// lacks (found compiling it), and a Reshape its sample does not fit (found running it).
    @Test func compareNamesTheModelAnErrorIsIn() throws {
        let dir = temporary.make()
        let fixture = Fixtures.model("gemm_relu")
        let quantize = CLIRunner.run([fixture.modelPath, "--calib", fixture.directory + "/calib", "-o", dir + "/q.onnx", "--quiet"])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        var graph = Graph(name: "reshape")
        graph.inputs = [ValueInfo(name: "input", elementType: .float, shape: nil)]
        graph.outputs = [ValueInfo(name: "y")]
        graph.initializers["shape"] = Tensor(shape: [2], scalars: [Int64(7), -1])
        graph.nodes = [Node(name: "r", opType: "Reshape", inputs: ["input", "shape"], outputs: ["y"])]
        try ONNXWriter.write(Model(graph: graph), to: dir + "/reshape.onnx")
        for float in [Fixtures.model("unknown_op").modelPath, dir + "/reshape.onnx"] {
            let result = CLIRunner.run(["compare", float, dir + "/q.onnx", "--data", fixture.directory + "/calib"])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("error: \(float): node '"), "\(result.stderr)")
        }
    }

    /// A quantized model as the reference (arguments swapped, or the same file twice) printed an
    /// infinite output SQNR beside finite layer figures and 0 dB weights: refused, naming it.
    @Test(arguments: [false, true])
    func compareRefusesAQuantizedModelAsTheFloatOne(swapped: Bool) throws {
        let dir = temporary.make()
        let quantize = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx", "--quiet"])
        #expect(quantize.status == 0, "\(quantize.stderr)")
        let second = swapped ? Self.fixture.modelPath : dir + "/q.onnx"
        let result = CLIRunner.run(["compare", dir + "/q.onnx", second, "--data", Self.fixture.directory + "/calib"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: \(dir)/q.onnx: is already quantized (") && result.stderr.hasSuffix(
            "): compare takes the float original first, then the quantized model\n"), "\(result.stderr)")
    }
}
