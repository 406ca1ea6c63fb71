@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Issue 5, acceptance 5, at the library level: each bad input is one QConvertError line naming the
/// file (and the input). The CLI-level twins are in Tests/qconvertCLITests.
@Suite struct BadInputTests {
    static let model = CalibrationTestModels.relu()
    let temporary = TemporaryDirectories()

    /// Calibrates the folder and returns the error message (asserting it is one line).
    func failure(_ dir: String, model: Model = model) -> String {
        do {
            let dataset = try CalibrationDataset(directory: dir, inputs: model.graph.runtimeInputs)
            _ = try Calibrator.calibrate(model, dataset: dataset, options: .init(threads: 2))
            return "no error"
        } catch let error as QConvertError {
            #expect(!error.description.contains("\n"))
            return error.description
        } catch {
            return "not a QConvertError: \(error)"
        }
    }

    /// Three good samples with `bad` as 0001.npy.
    func folder(withBad bad: Tensor) throws -> String {
        var samples = CalibrationTestModels.randomSamples(3)
        samples[1] = bad
        return try CalibrationTestModels.npyFolder(samples, in: temporary)
    }

    @Test func wrongShape() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 5], scalars: [Float](repeating: 0, count: 5)))
        #expect(failure(dir) == "\(dir)/0001.npy: input 'x' must have shape [1, 4], got [1, 5] (axis 1)")
    }

    @Test func wrongRank() throws {
        let dir = try folder(withBad: Tensor(shape: [4], scalars: [Float](repeating: 0, count: 4)))
        #expect(failure(dir) == "\(dir)/0001.npy: input 'x' must have shape [1, 4], got [4]")
    }

    @Test func float64ForFloat32() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [Double](repeating: 0, count: 4)))
        #expect(failure(dir) == "\(dir)/0001.npy: input 'x' must be float32, got float64")
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFinite(value: Float) throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [0, 1, value, 3]))
        #expect(failure(dir) == "\(dir)/0001.npy: input 'x' has a non-finite value (NaN or infinity) at flat index 2")
    }

    /// A batch of none: the input's batch dimension is free, so only the element count catches it.
    @Test func sampleWithNoElements() throws {
        var model = Self.model
        model.graph.inputs[0] = ValueInfo(name: "x", elementType: .float, shape: [.param("batch"), .value(4)])
        let dir = try folder(withBad: Tensor(shape: [0, 4], scalars: [Float]()))
        #expect(failure(dir, model: model) == "\(dir)/0001.npy: input 'x' has no elements (shape [0, 4])")
    }

    @Test func emptyFolder() {
        let dir = temporary.make()
        #expect(failure(dir) == "\(dir): no samples (expected .npy or .npz files, or test_data_set_* folders)")
    }

    @Test func missingFolder() {
        #expect(failure("/nonexistent/calib") == "/nonexistent/calib: No such file or directory")
    }

    @Test func truncatedNpy() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4)))
        let bytes = FileChecks.read(dir + "/0001.npy")!
        FileChecks.write(Array(bytes.dropLast(3)), to: dir + "/0001.npy")
        #expect(failure(dir) == "\(dir)/0001.npy: truncated: holds 13 bytes of data, shape [1, 4] of float32 needs 16")
    }

    /// Bytes after the array: numpy's own reader ignores them, but they mean the header does not
    /// describe the data, and reading the first part alone would drop the rest silently.
    @Test func npyWithBytesAfterTheArray() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4)))
        FileChecks.write(FileChecks.read(dir + "/0001.npy")! + [0, 0, 0, 0, 0], to: dir + "/0001.npy")
        #expect(failure(dir) == "\(dir)/0001.npy: holds 5 bytes after the array its header describes (shape [1, 4] of float32, 16 bytes)")
    }

    /// A header that is not a Python dict (its closing brace gone) is not read for what it seems to say.
    @Test func npyHeaderThatIsNotADict() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4)))
        var bytes = FileChecks.read(dir + "/0001.npy")!
        let close = try #require(bytes.firstIndex(of: UInt8(ascii: "}")))
        bytes[close] = UInt8(ascii: " ")
        FileChecks.write(bytes, to: dir + "/0001.npy")
        #expect(failure(dir).hasPrefix("\(dir)/0001.npy: malformed .npy header (not a {...} dict)"))
    }

    @Test func notAnNpyFile() throws {
        let dir = try folder(withBad: Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4)))
        FileChecks.write(Array("hello".utf8), to: dir + "/0001.npy")
        #expect(failure(dir) == "\(dir)/0001.npy: not a .npy file (no \\x93NUMPY magic)")
    }

    @Test func corruptNpz() throws {
        let model = try ONNXReader.read(path: Fixtures.root + "/calib/two_inputs/model.onnx")
        let dir = temporary.make()
        FileChecks.write(Array("PK not really".utf8), to: dir + "/0000.npz")
        #expect(failure(dir, model: model) == "\(dir)/0000.npz: not a zip archive (no end-of-central-directory record)")
    }

    /// An archive whose directory is fine but whose data is damaged fails when its sample loads.
    @Test func corruptNpzData() throws {
        let model = try ONNXReader.read(path: Fixtures.root + "/calib/two_inputs/model.onnx")
        let dir = temporary.make()
        var bytes = FileChecks.read(Fixtures.root + "/calib/two_inputs/npz_deflated/0002.npz")!
        for k in 60..<70 { bytes[k] = 0xFF }
        FileChecks.write(bytes, to: dir + "/0000.npz")
        #expect(failure(dir, model: model).hasPrefix("\(dir)/0000.npz: member 'x.npy': corrupt deflate data"))
    }

    /// With several failing samples and several threads, the earliest sample's error is reported.
    @Test func earliestFailureWins() throws {
        var samples = CalibrationTestModels.randomSamples(8)
        for k in [3, 5, 6] { samples[k] = Tensor(shape: [1, 4], scalars: [Float.nan, 0, 0, 0]) }
        let dir = try CalibrationTestModels.npyFolder(samples, in: temporary)
        #expect(failure(dir) == "\(dir)/0003.npy: input 'x' has a non-finite value (NaN or infinity) at flat index 0")
    }
}
