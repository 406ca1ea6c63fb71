#if canImport(Glibc)
import Glibc
#endif
@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// The three dataset layouts on the fixtures made by Scripts/make-calib-fixtures.py, whose values
/// are formulas stated there.
@Suite struct CalibrationDatasetTests {
    static let twoInputs = Fixtures.root + "/calib/two_inputs"
    static let single = Fixtures.root + "/calib/single_input"
    let temporary = TemporaryDirectories()

    static func inputs(_ folder: String) throws -> [ValueInfo] {
        try ONNXReader.read(path: folder + "/model.onnx").graph.runtimeInputs
    }

    /// Sample k: x = (arange(4) - 1.5) * (k + 1), y = arange(6) / 4 - k, whatever the layout.
    @Test(arguments: ["npz_stored", "npz_deflated", "test_data"])
    func everyLayoutGivesTheSameSamples(folder: String) throws {
        let dataset = try CalibrationDataset(directory: Self.twoInputs + "/" + folder, inputs: Self.inputs(Self.twoInputs))
        #expect(dataset.layout == (folder == "test_data" ? .onnxTestData : .npz))
        #expect(dataset.count == 3)
        for k in 0..<3 {
            let sample = try dataset.sample(k)
            let scale = Float(k + 1)
            #expect(sample["x"]?.scalars(of: Float.self) == [-1.5, -0.5, 0.5, 1.5].map { $0 * scale })
            #expect(sample["y"]?.scalars(of: Float.self) == (0..<6).map { Float($0) / 4 - Float(k) })
        }
    }

    @Test func sourcesAreSortedAndTrailingSlashIsIgnored() throws {
        let dataset = try CalibrationDataset(directory: Self.twoInputs + "/test_data/", inputs: Self.inputs(Self.twoInputs))
        #expect(dataset.sources == (0..<3).map { Self.twoInputs + "/test_data/test_data_set_\($0)" })
    }

    /// 0000.npy is [6, 3] for a model batch of 2: three samples, rows 0-1, 2-3, 4-5 of arange(18) - 8.
    @Test func batchedNpyIsSplit() throws {
        let dataset = try CalibrationDataset(directory: Self.single + "/split", inputs: Self.inputs(Self.single))
        let file = Self.single + "/split/0000.npy"
        #expect(dataset.sources == [file + "[0]", file + "[1]", file + "[2]", Self.single + "/split/0001.npy"])
        #expect(try dataset.sample(1)["input"]?.scalars(of: Float.self) == [-2, -1, 0, 1, 2, 3])
        #expect(try dataset.sample(1)["input"]?.shape == [2, 3])
        #expect(try dataset.sample(3)["input"]?.scalars(of: Float.self) == [0, -1, -2, -3, -4, -5])
    }

    /// A sample that passes the input checks (its dim is symbolic) but fails inside the model: the
    /// error names the sample's file after the node.
    @Test func errorsInsideTheModelNameTheSample() throws {
        var builder = GraphBuilder()
        let x = builder.input("x", [.value(1), .param("n")])
        let y = builder.node("Add", [x, builder.constant("three", Tensor(shape: [3], scalars: [Float(1), 2, 3]))], name: "add")
        builder.output(y)
        let dir = temporary.make()
        try Npy.write(Tensor(shape: [1, 3], scalars: [Float(0), 1, 2]), to: dir + "/0000.npy")
        try Npy.write(Tensor(shape: [1, 4], scalars: [Float(0), 1, 2, 3]), to: dir + "/0001.npy")
        let dataset = try CalibrationDataset(directory: dir, inputs: builder.graph.runtimeInputs)
        let interpreter = try Interpreter(model: builder.model, threads: 1)
        #expect(try dataset.withSample(0) { try interpreter.run($0)[y]?.scalars(of: Float.self) } == [1, 3, 5])
        do {
            _ = try OutputAgreement.measure(reference: interpreter, test: interpreter, dataset: dataset)
            Issue.record("no error")
        } catch let error as QConvertError {
            #expect(error.description.hasPrefix("node 'add' (Add): ") && error.description.hasSuffix(" (sample \(dir)/0001.npy)"))
        }
    }

    @Test func limitCountsSamplesNotFiles() throws {
        let dataset = try CalibrationDataset(directory: Self.single + "/split", inputs: Self.inputs(Self.single), limit: 2)
        #expect(dataset.count == 2)
    }

    @Test func splitNeedsAMultipleOfTheBatch() throws {
        let dir = try CalibrationTestModels.npyFolder([Tensor(shape: [3, 3], scalars: [Float](repeating: 1, count: 9))], in: temporary)
        #expect(throws: QConvertError("\(dir)/0000.npy: leading dimension 3 is not a multiple of the model's batch 2 (input 'input' has shape [2, 3])")) {
            _ = try CalibrationDataset(directory: dir, inputs: Self.inputs(Self.single))
        }
    }

    @Test func singleInputTakesAnUnnamedNpzArray() throws {
        let dir = temporary.make()
        // A stored archive of one member named arr_0.npy holding x of sample 0.
        let npy = try Npy.encode(Tensor(shape: [1, 4], scalars: [Float(-1.5), -0.5, 0.5, 1.5]))
        FileChecks.write(ZipFixture.stored(name: "arr_0.npy", contents: npy), to: dir + "/a.npz")
        let inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(1), .value(4)])]
        let dataset = try CalibrationDataset(directory: dir, inputs: inputs)
        #expect(try dataset.sample(0)["x"]?.scalars(of: Float.self) == [-1.5, -0.5, 0.5, 1.5])
    }

    /// An .npz whose arrays hold 3 batches of each input (x: batch 2, y: batch 1) gives 3 samples,
    /// each the matching slice of both arrays; arrays holding different numbers of batches are an error.
    @Test func batchedNpzIsSplit() throws {
        let inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(2), .value(2)]),
                      ValueInfo(name: "y", elementType: .float, shape: [.value(1), .value(3)])]
        let x = Tensor(shape: [6, 2], scalars: (0..<12).map { Float($0) })
        let y = Tensor(shape: [3, 3], scalars: (0..<9).map { Float(-$0) })
        let dir = temporary.make()
        FileChecks.write(ZipFixture.stored([("x.npy", try Npy.encode(x)), ("y.npy", try Npy.encode(y))]), to: dir + "/a.npz")
        let dataset = try CalibrationDataset(directory: dir, inputs: inputs)
        #expect(dataset.sources == (0..<3).map { dir + "/a.npz[\($0)]" })
        let second = try dataset.sample(1)
        #expect(second["x"]?.shape == [2, 2] && second["x"]?.scalars(of: Float.self) == [4, 5, 6, 7])
        #expect(second["y"]?.shape == [1, 3] && second["y"]?.scalars(of: Float.self) == [-3, -4, -5])
        let uneven = temporary.make()
        FileChecks.write(ZipFixture.stored([("x.npy", try Npy.encode(x)), ("y.npy", try Npy.encode(Tensor(shape: [1, 3], scalars: [Float(0), 1, 2])))]),
                         to: uneven + "/a.npz")
        #expect(throws: QConvertError("\(uneven)/a.npz: array 'x' holds 3 batches of input 'x' but 'y' holds 1 of 'y'; give every input the same number")) {
            _ = try CalibrationDataset(directory: uneven, inputs: inputs)
        }
    }

    /// A split stored archive is checked against its CRC-32 when the folder is listed (each sample
    /// then reads only its batch), so a byte corrupted in the last batch fails before any sample is
    /// used. The member name "x.npy" puts the data at offset 99 (30 + 5 + 64), which a sample copies.
    @Test func splitStoredArchiveIsCheckedWhenListed() throws {
        let inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(1), .value(2)])]
        let x = Tensor(shape: [3, 2], scalars: (0..<6).map { Float($0) + 0.5 })
        var bytes = ZipFixture.stored([("x.npy", try Npy.encode(x))])
        let dir = temporary.make()
        FileChecks.write(bytes, to: dir + "/a.npz")
        let dataset = try CalibrationDataset(directory: dir, inputs: inputs)
        #expect(try (0..<3).map { try dataset.sample($0)["x"]!.scalars(of: Float.self) } == [[0.5, 1.5], [2.5, 3.5], [4.5, 5.5]])
        let lastValue = bytes.count - 46 - 5 - 22 - 1   // before the central entry and end record
        bytes[lastValue] ^= 0x01
        let corrupt = temporary.make()
        FileChecks.write(bytes, to: corrupt + "/a.npz")
        #expect(throws: QConvertError("\(corrupt)/a.npz: member 'x.npy': CRC-32 mismatch (corrupt archive)")) {
            _ = try CalibrationDataset(directory: corrupt, inputs: inputs)
        }
    }

    /// A split deflated archive: each sample inflates its own batch from the index, in any order.
    @Test func splitDeflatedArchiveReadsEachBatch() throws {
        let inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(2), .value(2)])]
        let x = Tensor(shape: [8, 2], scalars: (0..<16).map { Float($0) - 7.5 })
        let dir = temporary.make()
        FileChecks.write(ZipFixture.stored([("x.npy", try Npy.encode(x))], deflate: true), to: dir + "/a.npz")
        let dataset = try CalibrationDataset(directory: dir, inputs: inputs)
        #expect(dataset.count == 4)
        for k in [3, 0, 2, 1, 3] {
            #expect(try dataset.sample(k)["x"]?.scalars(of: Float.self) == (0..<4).map { Float(4 * k + $0) - 7.5 })
        }
        // Rewritten since it was listed (a new file renamed over it): an error, not the old index
        // reading the old bytes (or past the end of a shorter file).
        let changed = Tensor(shape: [8, 2], scalars: (0..<16).map { Float($0) })
        FileChecks.write(ZipFixture.stored([("x.npy", try Npy.encode(changed))], deflate: true), to: dir + "/new.tmp")
        #expect(rename(dir + "/new.tmp", dir + "/a.npz") == 0)
        #expect(throws: QConvertError("\(dir)/a.npz: changed while calibrating (its deflated arrays are not those it held when the folder was listed)")) {
            _ = try dataset.sample(2)
        }
    }

    /// A big-endian batched .npy: each sample is its own batch, byte-swapped.
    @Test func bigEndianBatchedNpyIsSplit() throws {
        let header = "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }"
        let padded = header + String(repeating: " ", count: 128 - 10 - header.utf8.count - 1) + "\n"
        let values: [Float] = [1, -2, 3.25, 4]
        let data = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.bigEndian) { Array($0) } }
        let dir = temporary.make()
        FileChecks.write(Npy.magic + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8) + data, to: dir + "/a.npy")
        let dataset = try CalibrationDataset(directory: dir, inputs: [ValueInfo(name: "x", elementType: .float, shape: [.value(1), .value(2)])])
        #expect(try dataset.sample(1)["x"]?.scalars(of: Float.self) == [3.25, 4])
        #expect(try dataset.sample(0)["x"]?.scalars(of: Float.self) == [1, -2])
    }

    @Test func layoutErrors() throws {
        let mixed = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(1), in: temporary)
        FileChecks.write([0], to: mixed + "/b.npz")
        let x = [ValueInfo(name: "x", elementType: .float, shape: [.value(1), .value(4)])]
        #expect(throws: QConvertError("\(mixed): mixes .npy and .npz files; use one layout")) {
            _ = try CalibrationDataset(directory: mixed, inputs: x)
        }
        let other = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(1), in: temporary)
        FileChecks.write([0], to: other + "/notes.txt")
        #expect(throws: QConvertError("\(other)/notes.txt: not a calibration sample (expected .npy or .npz files, or test_data_set_* folders)")) {
            _ = try CalibrationDataset(directory: other, inputs: x)
        }
        // A stray folder among samples is the one named, not the first sample.
        let stray = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(2), in: temporary)
        try Directory.create(stray + "/old")
        #expect(throws: QConvertError("\(stray)/old: not a calibration sample (expected .npy or .npz files, or test_data_set_* folders, not both)")) {
            _ = try CalibrationDataset(directory: stray, inputs: x)
        }
        #expect(throws: QConvertError.self) {
            _ = try CalibrationDataset(directory: Self.single + "/split", inputs: Self.inputs(Self.twoInputs))
        }
    }
}

/// Builds a stored zip by hand (for layouts numpy's writer cannot produce).
enum ZipFixture {
    static func stored(name: String, contents: [UInt8]) -> [UInt8] {
        stored([(name, contents)])
    }

    /// Members in order, with local headers, central directory and end record: stored, or with
    /// `deflate` as deflate streams of stored blocks (valid deflate that any inflater reads).
    static func stored(_ members: [(name: String, contents: [UInt8])], deflate: Bool = false) -> [UInt8] {
        func le(_ value: Int, _ bytes: Int) -> [UInt8] { (0..<bytes).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        var locals: [UInt8] = [], central: [UInt8] = []
        for (name, contents) in members {
            let crc = Int(contents.withUnsafeBufferPointer { CRC32.of($0) })
            let nameBytes = Array(name.utf8)
            let offset = locals.count
            let data = deflate ? storedBlocks(contents) : contents
            let method = deflate ? 8 : 0
            locals += [0x50, 0x4B, 0x03, 0x04] + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4)
                + le(data.count, 4) + le(contents.count, 4) + le(nameBytes.count, 2) + le(0, 2) + nameBytes + data
            central += [0x50, 0x4B, 0x01, 0x02] + le(20, 2) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(crc, 4)
                + le(data.count, 4) + le(contents.count, 4) + le(nameBytes.count, 2) + le(0, 6) + le(0, 2) + le(0, 4)
                + le(offset, 4) + nameBytes
        }
        let end = [0x50, 0x4B, 0x05, 0x06] + le(0, 4) + le(members.count, 2) + le(members.count, 2) + le(central.count, 4)
            + le(locals.count, 4) + le(0, 2)
        return locals + central + end
    }

    /// A raw deflate stream of stored blocks (RFC 1951, 3.2.4) of at most `block` bytes each: a
    /// header byte (BFINAL on the last, BTYPE 00), then LEN and its complement, then the bytes.
    static func storedBlocks(_ bytes: [UInt8], block: Int = 7) -> [UInt8] {
        var out: [UInt8] = []
        var at = 0
        repeat {
            let n = min(block, bytes.count - at)
            out += [at + n == bytes.count ? 1 : 0, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[at..<(at + n)]
            at += n
        } while at < bytes.count
        return out
    }
}

/// Bitwise CRC-32 (IEEE, reflected, polynomial 0xEDB88320), written out here so the zip built in
/// tests does not rely on the zlib the reader uses.
enum CRC32 {
    static func of(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
