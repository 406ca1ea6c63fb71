import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Issue 5, acceptance 5, through the CLI: every bad input exits 1 with one `error:` line naming
/// the file, prints nothing on stdout, and writes nothing (no statistics file, no temporary file).
@Suite struct CalibrateBadInputTests {
    let temporary = TemporaryDirectories()

    /// Writes a good sample of the single-input fixture model (input [2, 3] float32) as 0000.npy and
    /// `bad` as 0001.npy.
    func folder(bad: [UInt8]) throws -> String {
        let dir = temporary.make()
        FileChecks.write(try Npy.encode(Tensor(shape: [2, 3], scalars: [Float](repeating: 1, count: 6))), to: dir + "/0000.npy")
        FileChecks.write(bad, to: dir + "/0001.npy")
        return dir
    }

    static let model = Fixtures.root + "/calib/single_input/model.onnx"

    /// Runs calibrate on `dir` and checks the failure contract; returns the message after "error: ".
    func failure(_ dir: String, model: String = model) throws -> String {
        let outDir = temporary.make()
        let result = CLIRunner.run(["calibrate", model, "--calib", dir, "-o", outDir + "/stats.json"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.hasSuffix("\n"))
        #expect(result.stderrLineCount == 1)
        #expect(try Directory.entries(outDir).isEmpty, "something was written")
        return String(result.stderr.dropFirst(7).dropLast())
    }

    /// Samples near float32's largest value overflow gemm_relu's Gemm: its output is all infinity.
    /// `quantize --calib` refused them; `calibrate` wrote the statistics and `--load-stats` used them
    /// (the written model gave NaN in ONNX Runtime). Both refuse now, naming the output.
    @Test func samplesTheFloatModelOverflowsOn() throws {
        let dir = temporary.make()
        FileChecks.write(try Npy.encode(Tensor(shape: [2, 16], scalars: [Float](repeating: 3e38, count: 32))), to: dir + "/0000.npy")
        let gemm = Fixtures.model("gemm_relu").modelPath
        let message = try failure(dir, model: gemm)
        #expect(message.hasPrefix("\(dir): the float model's output 'output' was NaN or infinite for "), "\(message)")
        // The statistics as calibrate used to write them, then loaded.
        let model = try Preparation.run(try ONNXReader.read(path: gemm)).model
        let stats = try Calibrator.calibrate(model, dataset: CalibrationDataset(directory: dir, inputs: model.graph.runtimeInputs),
                                             options: .init(threads: 1))
        let work = temporary.make()
        try stats.save(to: work + "/stats.json")
        let load = CLIRunner.run([gemm, "--load-stats", work + "/stats.json", "--quiet", "-o", work + "/q.onnx"])
        #expect(load.status == 1 && load.stderr.hasPrefix("error: \(work)/stats.json: the float model's output 'output' was NaN or infinite"), "\(load.stderr)")
        #expect(!FileChecks.exists(work + "/q.onnx"))
    }

    @Test func wrongShape() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [2, 4], scalars: [Float](repeating: 1, count: 8))))
        #expect(try failure(dir) == "\(dir)/0001.npy: input 'input' must have shape [2, 3], got [2, 4] (axis 1)")
    }

    @Test func float64() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [2, 3], scalars: [Double](repeating: 1, count: 6))))
        #expect(try failure(dir) == "\(dir)/0001.npy: input 'input' must be float32, got float64")
    }

    @Test func nan() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [2, 3], scalars: [Float(0), 1, 2, 3, .nan, 5])))
        #expect(try failure(dir) == "\(dir)/0001.npy: input 'input' has a non-finite value (NaN or infinity) at flat index 4")
    }

    @Test func emptyFolder() throws {
        let dir = temporary.make()
        #expect(try failure(dir) == "\(dir): no samples (expected .npy or .npz files, or test_data_set_* folders)")
    }

    @Test func truncatedNpy() throws {
        let whole = try Npy.encode(Tensor(shape: [2, 3], scalars: [Float](repeating: 1, count: 6)))
        let dir = try folder(bad: Array(whole.dropLast(5)))
        #expect(try failure(dir) == "\(dir)/0001.npy: truncated: holds 19 bytes of data, shape [2, 3] of float32 needs 24")
    }

    @Test func corruptNpz() throws {
        let dir = temporary.make()
        var bytes = FileChecks.read(Fixtures.root + "/calib/two_inputs/npz_stored/0000.npz")!
        bytes.removeLast(10)
        FileChecks.write(bytes, to: dir + "/0000.npz")
        let model = Fixtures.root + "/calib/two_inputs/model.onnx"
        #expect(try failure(dir, model: model) == "\(dir)/0000.npz: not a zip archive (no end-of-central-directory record)")
    }

    @Test func unsupportedOpNamesTheModel() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4))))
        let model = Fixtures.root + "/models/unknown_op/model.onnx"
        let message = try failure(dir, model: model)
        #expect(message.hasPrefix(model + ": "))
        #expect(message.contains("FancyOp"))
    }

    /// `run` checks its inputs as calibration does, so the message names the .npy to fix, not the model.
    @Test func runNamesTheBadInputFile() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [2, 3], scalars: [Double](repeating: 1, count: 6))))
        let result = CLIRunner.run(["run", Self.model, dir + "/0001.npy", "-o", temporary.make()])
        #expect(result.status == 1)
        #expect(result.stderr == "error: \(dir)/0001.npy: input 'input' must be float32, got float64\n")
    }

    /// Unlike a calibration sample, a run input may hold NaN or infinity (a mask of -inf): it runs.
    @Test func runAcceptsNonFiniteInputs() throws {
        let dir = try folder(bad: Npy.encode(Tensor(shape: [2, 3], scalars: [Float(0), 1, -.infinity, 3, .nan, 5])))
        let result = CLIRunner.run(["run", Self.model, dir + "/0001.npy", "-o", temporary.make()])
        #expect(result.status == 0, "\(result.stderr)")
    }
}
