import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Fixtures/hostile through the commands a user runs (issue 9): `inspect` and `quantize` give a
/// correct result or exit 1 with one `error:` line naming the file, and a failed quantize writes
/// nothing.
@Suite struct HostileModelTests {
    let temporary = TemporaryDirectories()
    static let folder = Fixtures.root + "/hostile"
    /// Valid models among the hostile files (odd but legal, or handled): everything else must fail.
    static let valid: Set<String> = ["opset1", "opset99", "duplicate_graph_output", "negative_input_dim"]
    static let invalid: [String] = ((try? Directory.entries(folder)) ?? [])
        .filter { $0.hasSuffix(".onnx") }.map { String($0.dropLast(5)) }.filter { !valid.contains($0) }

    /// Three samples for the hostile base model's input x: float32 [4, 4].
    func calibrationFolder() throws -> String {
        let dir = temporary.make()
        for k in 0..<3 {
            let values = (0..<16).map { Float($0 - 8 + k) / 4 }
            FileChecks.write(try Npy.encode(Tensor(shape: [4, 4], scalars: values)), to: dir + "/000\(k).npy")
        }
        return dir
    }

    func expectFailure(_ result: CLIRunner.Result, naming path: String, _ label: String) {
        #expect(result.status == 1, "\(label): \(result.stderr)")
        #expect(result.stderr.hasPrefix("error: \(path): "), "\(label): \(result.stderr)")
        #expect(result.stderrLineCount == 1, "\(label): \(result.stderr)")
    }

    /// The list comes from the folder: make sure it was found, so the test below is not vacuous.
    @Test func theInvalidListIsTheFixtureFolder() {
        #expect(["cycle", "external_absolute", "dims_overflow", "zero_dim_overflow"].allSatisfy(Self.invalid.contains), "\(Self.invalid)")
    }

    @Test(arguments: invalid)
    func invalidModelIsOneLineError(name: String) throws {
        let path = Self.folder + "/\(name).onnx"
        expectFailure(CLIRunner.run(["inspect", path]), naming: path, "inspect \(name)")
        let out = temporary.make()
        let result = CLIRunner.run([path, "--calib", try calibrationFolder(), "--quiet", "-o", out + "/q.onnx"])
        expectFailure(result, naming: path, "quantize \(name)")
        #expect(try Directory.entries(out).isEmpty, "quantize \(name) wrote something")
    }

    /// Opset 1 is upgraded: the quantized model imports opset 14.
    @Test func opsetOneIsUpgraded() throws {
        let out = temporary.make() + "/q.onnx"
        let result = CLIRunner.run([Self.folder + "/opset1.onnx", "--calib", try calibrationFolder(), "--quiet", "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ONNXReader.read(path: out).opsetVersion() == 14)
    }

    /// An IR 3 model moved to opset 14 (by quantization) gets IR 7, which opset 14 needs; IR 3 would
    /// also want every new initializer listed as a graph input (onnx.checker refused the file).
    @Test func oldIRVersionIsRaisedWithTheOpset() throws {
        let dir = temporary.make()
        var b = GraphBuilder()
        b.constant("W", Tensor(shape: [4, 4], scalars: (0..<16).map { Float($0) / 16 }))
        b.output(b.node("MatMul", [b.input("x", [1, 4]), "W"], name: "mm"))
        var model = b.model
        model.irVersion = 3
        model.opsetImports = [OpsetImport(domain: "", version: 7)]
        try ONNXWriter.write(model, to: dir + "/ir3.onnx")
        let result = CLIRunner.run([dir + "/ir3.onnx", "--mode", "weight-only", "-o", dir + "/q.onnx"])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try ONNXReader.read(path: dir + "/q.onnx")
        #expect(written.opsetVersion() == 14 && written.irVersion == 7, "opset \(written.opsetVersion() ?? 0), IR \(written.irVersion)")
    }

    /// Two graph inputs of one name crashed calibration (a dictionary built from them trapped) and
    /// were written on by prepare; an empty weight crashed GPTQ and the report. Each is one line now.
    @Test func duplicateInputAndEmptyWeightAreRefused() throws {
        let dir = temporary.make()
        var twice = GraphBuilder()
        let x = twice.input("x", [1, 4])
        twice.output(twice.node("Relu", [x], name: "relu"))
        var duplicated = twice.model
        duplicated.graph.inputs.append(duplicated.graph.inputs[0])
        var empty = GraphBuilder()
        empty.constant("W", Tensor(shape: [4, 0], scalars: [Float]()))
        empty.output(empty.node("Relu", [empty.node("MatMul", [empty.input("x", [1, 4]), "W"], name: "mm")], name: "relu"))
        for (model, name, reason) in [(duplicated, "twice", "graph input 'x' is listed twice"),
                                      (empty.model, "empty", "weight 'W' of node 'mm' has no elements (shape [4, 0]), so nothing to quantize")] {
            let path = dir + "/\(name).onnx"
            try ONNXWriter.write(model, to: path)
            let result = CLIRunner.run([path, "--mode", "weight-only", "-o", dir + "/q.onnx"])
            expectFailure(result, naming: path, name)
            #expect(result.stderr.contains(reason) && !FileChecks.exists(dir + "/q.onnx"), "\(result.stderr)")
        }
    }

    /// Opset 99 does not exist yet: inspect reports it, quantize and run refuse it rather than
    /// guess what its ops mean and stamp a file no runtime loads.
    @Test func opsetNinetyNineIsRefused() throws {
        let path = Self.folder + "/opset99.onnx"
        let inspect = CLIRunner.run(["inspect", path])
        #expect(inspect.status == 0 && inspect.stdout.contains("opset ai.onnx 99"), "\(inspect.stderr)")
        let calib = try calibrationFolder()
        let out = temporary.make()
        let quantize = CLIRunner.run([path, "--calib", calib, "--quiet", "-o", out + "/q.onnx"])
        expectFailure(quantize, naming: path, "quantize")
        #expect(quantize.stderr.contains("imports ai.onnx opset 99, newer than the newest qconvert knows (\(SupportedOpsets.newest))"))
        let run = CLIRunner.run(["run", path, calib + "/0000.npy", "-o", out])
        expectFailure(run, naming: path, "run")
        #expect(try Directory.entries(out).isEmpty)
    }

    /// A graph output listed twice is valid ONNX (the checker and ONNX Runtime accept it); the
    /// quantized model keeps both.
    @Test func duplicateGraphOutputIsKept() throws {
        let out = temporary.make() + "/q.onnx"
        let result = CLIRunner.run([Self.folder + "/duplicate_graph_output.onnx", "--calib", try calibrationFolder(), "--quiet", "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try ONNXReader.read(path: out).graph.outputs.map(\.name) == ["y", "y"])
    }

    /// A graph without outputs computes nothing: quantizing it is an error, not "quantized 0 of 0 nodes".
    @Test func graphWithoutOutputsIsRefused() throws {
        var b = GraphBuilder()
        _ = b.node("Relu", [b.input("x", [4, 4])])
        let dir = temporary.make(), path = dir + "/no_outputs.onnx"
        try ONNXWriter.write(b.model, to: path)
        let result = CLIRunner.run([path, "--calib", try calibrationFolder(), "-o", dir + "/q.onnx"])
        expectFailure(result, naming: path, "no outputs")
        #expect(result.stderr.contains("the graph has no outputs") && !FileChecks.exists(dir + "/q.onnx"))
    }

    /// Shapes that cannot work (x [1, 4] times W [5, 4]; 3 channels into a Conv whose W with group 2
    /// reads 2, or with group 2^62; a 2-D W for a 4-D Conv input; a Gemm of x [1, 4] and W [5, 3]): static mode meets them when it runs the model; prepare and the modes that do not
    /// run it wrote a model ONNX Runtime refuses, with exit 0. Now each is refused, naming the node.
    @Test(arguments: ["prepare", "dynamic", "weight-only"])
    func inconsistentShapesAreRefusedWithoutRunning(_ command: String) throws {
        let dir = temporary.make()
        var matmul = GraphBuilder()
        matmul.constant("W", Tensor(shape: [5, 4], scalars: [Float](repeating: 0.5, count: 20)))
        matmul.output(matmul.node("MatMul", [matmul.input("x", [1, 4]), "W"], name: "mm"))
        var conv = GraphBuilder()
        conv.constant("W", Tensor(shape: [4, 1, 3, 3], scalars: [Float](repeating: 0.5, count: 36)))
        conv.output(conv.node("Conv", [conv.input("x", [1, 3, 8, 8]), "W"], ["group": .int(2)], name: "cv"))
        // A group of 2^62 overflowed the check's multiplication and trapped (every command prepares).
        var hugeGroup = GraphBuilder()
        hugeGroup.constant("W", Tensor(shape: [3, 2, 1, 1], scalars: [Float](repeating: 0.5, count: 6)))
        hugeGroup.output(hugeGroup.node("Conv", [hugeGroup.input("x", [1, 3, 4, 4]), "W"], ["group": .int(1 << 62)], name: "huge"))
        var flatWeight = GraphBuilder()
        flatWeight.constant("W", Tensor(shape: [2, 3], scalars: [Float](repeating: 0.5, count: 6)))
        flatWeight.output(flatWeight.node("Conv", [flatWeight.input("x", [1, 1, 4, 4]), "W"], name: "flat"))
        var gemm = GraphBuilder()
        gemm.constant("W", Tensor(shape: [5, 3], scalars: [Float](repeating: 0.5, count: 15)))
        gemm.output(gemm.node("Gemm", [gemm.input("x", [1, 4]), "W"], name: "gm"))
        for (builder, name, reason) in [(matmul, "mm", "(MatMul): A's last dimension (4) differs from B's second-to-last (5)"),
                                        (flatWeight, "flat", "(Conv): W [2, 3] has rank 2 but X [1, 1, 4, 4] has rank 4; Conv needs them equal"),
                                        (gemm, "gm", "(Gemm): A [1, 4] and B [5, 3] do not match: K is 4 in A and 5 in B"),
                                        (conv, "cv", "(Conv): X has 3 channels but W [4, 1, 3, 3] with group 2 expects 2"),
                                        (hugeGroup, "huge", "(Conv): X has 3 channels but W [3, 2, 1, 1] with group 4611686018427387904 expects more than 9223372036854775807")] {
            let path = dir + "/\(name).onnx", out = dir + "/out.onnx"
            try ONNXWriter.write(builder.model, to: path)
            let arguments = command == "prepare" ? ["prepare", path, "-o", out] : [path, "--mode", command, "-o", out]
            let result = CLIRunner.run(arguments)
            expectFailure(result, naming: path, "node '\(name)' \(reason)")
            #expect(result.stderr.contains("node '\(name)' \(reason)") && !FileChecks.exists(out), "\(result.stderr)")
        }
    }

    /// x declared [-4, 4]: the -4 is not a size anything is allocated from; [4, 4] samples calibrate.
    @Test func negativeDeclaredDimension() throws {
        let out = temporary.make() + "/q.onnx"
        let result = CLIRunner.run([Self.folder + "/negative_input_dim.onnx", "--calib", try calibrationFolder(), "--quiet", "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileChecks.exists(out))
    }

    /// Names come from the file: an escape sequence in an op type must not reach the terminal
    /// (it could recolour or rewrite it), in errors or in inspect's text.
    @Test func controlCharactersInNamesAreNotPrinted() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2])
        b.output(b.node("Foo\u{1B}[31mRED", [x], name: "n\u{1B}]0;title\u{07}"))
        let path = temporary.make() + "/escape.onnx"
        try ONNXWriter.write(b.model, to: path)
        let inspect = CLIRunner.run(["inspect", path])
        #expect(inspect.status == 0 && inspect.stdout.contains("Foo?[31mRED"), "\(inspect.stdout)")
        let run = CLIRunner.run(["run", path, "--input", "x=" + path])
        for result in [inspect, run] {
            #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
            #expect(!result.stderr.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(result.stderr)")
        }
    }
}
