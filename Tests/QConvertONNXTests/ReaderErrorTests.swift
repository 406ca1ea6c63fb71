import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Bad files give one-line errors naming the file (and the tensor or node), never a crash.
@Suite struct ReaderErrorTests {
    /// The reader's error for `path`, which must start with the path and be one line.
    func readError(_ path: String) -> String? {
        do {
            _ = try ONNXReader.read(path: path)
            return nil
        } catch let error as QConvertError {
            #expect(error.description.hasPrefix(path + ": "))
            #expect(!error.description.contains("\n"))
            return error.description
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    @Test func missingFile() {
        #expect(readError("/nonexistent/model.onnx")?.contains("No such file") == true)
    }

    @Test func directory() {
        #expect(readError(Fixtures.root)?.contains("is a directory") == true)
    }

    @Test func emptyFile() {
        let path = FileChecks.temporaryDirectory() + "/empty.onnx"
        FileChecks.write([], to: path)
        #expect(readError(path)?.contains("empty file") == true)
    }

    @Test func randomBytes() {
        var generator = SeededGenerator(seed: 7)
        let path = FileChecks.temporaryDirectory() + "/random.onnx"
        FileChecks.write((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }, to: path)
        #expect(readError(path) != nil)
    }

    @Test func truncatedFile() throws {
        let bytes = try #require(FileChecks.read(Fixtures.model("conv_bn_relu").modelPath))
        let path = FileChecks.temporaryDirectory() + "/truncated.onnx"
        FileChecks.write(Array(bytes.prefix(bytes.count / 2)), to: path)
        #expect(readError(path) != nil)
    }

    /// Each file of Fixtures/hostile (Scripts/make-hostile-models.py) with the words its error must contain.
    static let hostile: [(String, String)] = [
        ("external_parent_dir", "tensor 'w': external data location '../hostile/weights.bin' leaves the model's folder"),
        ("external_absolute", "tensor 'w': external data location '/etc/passwd' is an absolute path"),
        ("external_past_eof", "tensor 'w': external data 'weights.bin' holds 64 bytes; the tensor needs bytes 32..<96"),
        ("external_missing_file", "tensor 'w': external data file"),
        ("external_wrong_length", "tensor 'w': external data length 8 does not match the 64 bytes"),
        ("external_symlink_escape", "resolves outside the model's folder"),
        ("external_folder_itself", "tensor 'w': external data location '.' names the model's folder itself, not a file in it"),
        ("undefined_input", "node 'Add -> y' (Add) reads 'undefined_tensor', which no node, graph input or initializer defines"),
        ("raw_data_wrong_size", "tensor 'w': has 60 bytes of raw_data; type float32 and shape need 64"),
        ("negative_dim", "tensor 'w': has a negative dimension -4"),
        ("dims_overflow", "tensor 'w': dimensions [1099511627776, 1099511627776] overflow"),
        ("cycle", "the graph has a cycle through node"),
        ("duplicate_output", "value 'y' is defined twice"),
        ("duplicate_node_output", "value 'y' is defined twice (by node 'Add -> y' and by node 'Add -> y')"),
        ("external_offset_overflow", "tensor 'w': external data 'weights.bin' holds 64 bytes; the tensor needs 64 bytes from offset 9223372036854775807"),
        ("external_negative_offset", "tensor 'w': external data offset '-64' is not a non-negative integer"),
        ("external_dims_past_eof", "tensor 'w': external data 'weights.bin' holds 64 bytes; the tensor needs bytes 0..<4398046511104"),
        ("zero_dim_overflow", "tensor 'w': dimensions [0, 1099511627776, 1099511627776] overflow"),
        ("typed_data_past_file", "tensor 'w': holds 4 values; its shape needs 1099511627776"),
        ("no_graph", "it has no graph"),
    ]

    @Test(arguments: hostile)
    func hostileFile(_ name: String, _ expected: String) {
        let message = readError(Fixtures.root + "/hostile/\(name).onnx")
        #expect(message?.contains(expected) == true, "got: \(message ?? "no error")")
    }
}
