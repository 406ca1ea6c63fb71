import QConvert
import QConvertTestSupport
import Testing

/// `--config q.json` and `--exclude` through the built binary: overrides reach the plan, and every
/// mistake (unknown key, wrong type, a node the model lacks) is one `error:` line with no output.
@Suite struct ConfigFileTests {
    static let fixture = Fixtures.model("conv_bn_relu")
    let temporary = TemporaryDirectories()

    func quantize(_ dir: String, _ extra: [String]) -> CLIRunner.Result {
        CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx",
                       "--quiet", "--threads", "1", "--json"] + extra)
    }

    func config(_ dir: String, _ text: String) -> String {
        FileChecks.write(Array(text.utf8), to: dir + "/q.json")
        return dir + "/q.json"
    }

    @Test func opTypeAndNodeOverridesReachThePlan() throws {
        let dir = temporary.make()
        let path = config(dir, #"{"op_types": {"Conv": {"quantize": false}}, "nodes": {"conv_1": {"quantize": true, "weight_bits": 7}}}"#)
        let result = quantize(dir, ["--config", path])
        #expect(result.status == 0, "\(result.stderr)")
        // conv_0 float by its op type; conv_1's own entry wins; the Gemm keeps the flags' defaults.
        #expect(result.stdout.contains(#""node" : "conv_0""#))
        let plan = result.stdout
        #expect(plan.contains(#""excluded by options""#))
        #expect(plan.contains(#""conv_1" : {"#) && plan.contains(#""bits" : 7"#))
    }

    @Test(arguments: [
        (#"{"op_type": {}}"#, "unknown key 'op_type' (expected 'op_types', 'nodes')"),
        (#"{"nodes": {"conv_0": {"quantise": false}}}"#, "unknown setting 'nodes.conv_0.quantise'"),
        (#"{"op_types": {"Conv": {"quantize": 0}}}"#, "'op_types.Conv.quantize' must be true or false"),
        (#"{"op_types": {"Conv": {"weight_bits": 4}}}"#, "'op_types.Conv.weight_bits' must be 7 or 8"),
        (#"{"nodes": {"conv_9": {"quantize": false}}}"#, "node 'conv_9' (given to --config CONFIG) is not in the model"),
        (#"[1, 2]"#, "expected a JSON object"),
        // Valid JSON, though not an object: it was said not to be JSON.
        ("null", "expected a JSON object"),
        (#"{"op_types": {"MatMul": {"quantize": false}}}"#, "op type 'MatMul' (given to --config CONFIG): the model has no MatMul node"),
        (#"{"nodes": "#, "not valid JSON"),
        (#"{"op_types": {"conv": {"quantize": false}}}"#, "op type 'conv' (given to --config CONFIG) is not an op qconvert knows; did you mean 'Conv'?"),
        // A fused activation's entry changed nothing without a word (found by a black-box run).
        (#"{"nodes": {"relu_0": {"quantize": false}}}"#, "node 'relu_0' (given to --config CONFIG) is fused into 'conv_0' and runs inside it; configure 'conv_0' instead"),
        // Foundation keeps one of two equal keys: one of the two sections was dropped without a word.
        (#"{"nodes": {"conv_0": {"quantize": false}}, "nodes": {"conv_1": {"quantize": false}}}"#, "CONFIG: key 'nodes' appears twice in one object"),
        (#"{"nodes": {"conv_0": {"quantize": false, "quantize": true}}}"#, "CONFIG: key 'quantize' appears twice in one object"),
    ])
    func mistakesAreOneLineErrors(text: String, message: String) {
        let dir = temporary.make()
        let path = config(dir, text)
        let result = quantize(dir, ["--config", path])
        #expect(result.status == 1)
        // The flag or file the name came from is named (CONFIG: the config file's path).
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(message.replacingOccurrences(of: "CONFIG", with: path)), "\(result.stderr)")
        #expect(!FileChecks.exists(dir + "/q.onnx"))
    }

    /// A Relu fused into its Conv runs inside the Conv's integer kernel: excluding it alone would
    /// change nothing, so it is refused with the node to exclude instead.
    @Test func excludingAFusedActivationNamesItsComputeNode() {
        let dir = temporary.make()
        let result = quantize(dir, ["--exclude", "relu_0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("node 'relu_0' (given to --exclude) is fused into 'conv_0'"), "\(result.stderr)")
    }

    @Test func misspelledExcludedOpTypeIsAnError() {
        let result = quantize(temporary.make(), ["--exclude-op", "Relux"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("op type 'Relux' (given to --exclude-op) is not an op qconvert knows"), "\(result.stderr)")
    }

    @Test func excludingANodeThatPreparationFoldedNamesTheReason() {
        let dir = temporary.make()
        let result = quantize(dir, ["--exclude", "batchnormalization_0"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("node 'batchnormalization_0' (given to --exclude) is folded into another node by preparation"))
    }

    /// The same for op types: conv_bn_relu's two Relus are both fused into the Conv before them, its
    /// BatchNormalization is folded, and it has no MatMul, so excluding any of them would change nothing.
    @Test(arguments: [
        (["--exclude-op", "Relu"], "op type 'Relu' (given to --exclude-op): every such node is fused into the node before it and runs inside it; exclude those instead ('conv_0', 'conv_1')"),
        (["--exclude-op", "BatchNormalization"], "op type 'BatchNormalization' (given to --exclude-op): preparation removes every such node"),
        // Accepted in silence before (found by a review).
        (["--exclude-op", "MatMul"], "op type 'MatMul' (given to --exclude-op): the model has no MatMul node"),
    ])
    func excludingAnOpTypeThatIsFusedOrFoldedOrAbsentIsAnError(_ flags: [String], _ message: String) {
        let result = quantize(temporary.make(), flags)
        #expect(result.status == 1)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// An op type only inside an If body: said so, not "the model has no Relu node" (which
    /// `inspect`, counting subgraphs, contradicted; found by a review).
    @Test func excludingAnOpTypeOnlyInsideABodySaysSo() {
        let fixture = Fixtures.model("if_subgraph")
        let result = CLIRunner.run([fixture.modelPath, "--calib", fixture.directory + "/calib", "-o", temporary.make() + "/q.onnx",
                                    "--quiet", "--exclude-op", "Relu"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("op type 'Relu' (given to --exclude-op): the model has Relu nodes only inside If/Loop/Scan bodies"), "\(result.stderr)")
    }

    /// Excluded together with the op they are fused into, the activations stay float with it: no error.
    @Test func excludingAFusedTypeWithItsComputeTypeIsAccepted() {
        let result = quantize(temporary.make(), ["--exclude-op", "Conv", "--exclude-op", "Relu"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// An exclusion of nodes the plan leaves float anyway (Erf has no quantization rule) is run as
    /// asked but said to change nothing; one that keeps quantized nodes float (MatMul) is not, nor
    /// is one of an Add, which shift folding reads even where the plan leaves the Add float.
    @Test func anExclusionThatChangesNothingIsSaid() {
        let transformer = Fixtures.model("matmul_transformer_block")
        let result = CLIRunner.run([transformer.modelPath, "--calib", transformer.directory + "/calib", "-o", temporary.make() + "/q.onnx",
                                    "--threads", "1", "--method", "minmax", "--exclude-op", "Erf", "--exclude-op", "MatMul", "--exclude-op", "Add"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("note: --exclude-op Erf changes nothing: the plan is the same without it"), "\(result.stdout)")
        #expect(!result.stdout.contains("--exclude-op MatMul changes nothing") && !result.stdout.contains("--exclude-op Add changes nothing"))
    }

    /// With --weight-bits 7 given, a layer that can overflow 16-bit pair sums has 8-bit weights by
    /// the config file: the warning points there, not at the flag the user already passed.
    @Test func pairOverflowWarningPointsAtTheConfigEntry() {
        let dir = temporary.make()
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", dir + "/q.onnx", "--quiet",
                                    "--threads", "1", "--weight-bits", "7", "--config", config(dir, #"{"nodes": {"conv_0": {"weight_bits": 8}}}"#),
                                    "--report", dir + "/r.json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("7-bit weights avoid it (those layers have 8-bit weights by --config"), "\(result.stdout)")
        #expect(!result.stdout.contains("qconvert --weight-bits 7"), "\(result.stdout)")
        let report = String(decoding: FileChecks.read(dir + "/r.json") ?? [], as: UTF8.self)
        #expect(report.contains("those layers have 8-bit weights by --config") && !report.contains("qconvert --weight-bits 7"), "\(report)")
    }

    /// --integer-hardswish on a model without HardSwish writes the same model: said so, as an idle exclusion is.
    @Test func integerHardSwishWithoutAHardSwishIsSaid() {
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "-o", temporary.make() + "/q.onnx",
                                    "--quiet", "--threads", "1", "--integer-hardswish"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("note: --integer-hardswish changes nothing"), "\(result.stdout)")
    }

    @Test func configuringAFusedOpTypeNamesTheComputeNodes() {
        let dir = temporary.make()
        let result = quantize(dir, ["--config", config(dir, #"{"op_types": {"Relu": {"quantize": false}}}"#)])
        #expect(result.status == 1)
        #expect(result.stderr.contains("every such node is fused into the node before it and runs inside it; configure those instead"), "\(result.stderr)")
    }
}
