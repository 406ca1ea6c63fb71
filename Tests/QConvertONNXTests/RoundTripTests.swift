#if canImport(Glibc)
import Glibc
#endif
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// read -> write -> read gives the same IR, and what the IR does not model survives in the file.
/// (Scripts/roundtrip-check.py checks the same files against onnx.checker and ONNX Runtime.)
@Suite struct RoundTripTests {
    @Test(arguments: Fixtures.models())
    func fixtureSurvivesRoundTrip(_ fixture: FixtureCase) throws {
        let original = try fixture.model()
        let path = FileChecks.temporaryDirectory() + "/copy.onnx"
        try ONNXWriter.write(original, to: path)
        let copy = try ONNXReader.read(path: path)
        #expect(copy == original)
    }

    @Test func unknownOpAttributeAndFieldsSurvive() throws {
        let fixture = Fixtures.model("unknown_op")
        let path = FileChecks.temporaryDirectory() + "/copy.onnx"
        try ONNXWriter.write(try fixture.model(), to: path)
        let copy = try ONNXReader.read(path: path)

        let fancy = try #require(copy.graph.nodes.first { $0.opType == "FancyOp" })
        #expect(fancy.domain == "com.example.qconvert")
        #expect(fancy.attribute("alpha") != nil)
        let relu = try #require(copy.graph.nodes.first { $0.opType == "Relu" })
        #expect(relu.attribute("qc_unknown_attr") == .int(0), "explicit zero attribute kept (proto2 presence)")
        #expect(copy.opsetVersion(domain: "com.example.qconvert") == 1)

        // Unknown protobuf fields: model field 1000 (bytes) and graph field 1001 (varint 7).
        let bytes = try #require(FileChecks.read(path))
        #expect(bytes.firstRange(of: Array("qconvert-unknown-field".utf8)) != nil)
        #expect(copy.extras.unknownFields == [0xC2, 0x3E, 22] + Array("qconvert-unknown-field".utf8))
        #expect(copy.graph.extras.unknownFields == [0xC8, 0x3E, 7])
    }

    @Test func externalDataIsWrittenAndReadBack() throws {
        let original = try Fixtures.model("external_data").model()
        let folder = FileChecks.temporaryDirectory()
        let written = try ONNXWriter.write(original, to: folder + "/ext.onnx", options: WriteOptions(externalData: .always, externalThreshold: 256))
        #expect(written == [folder + "/ext.onnx", folder + "/ext.data"])
        let loaded = try ONNXReader.load(path: folder + "/ext.onnx")
        #expect(loaded.externalDataFiles == ["ext.data"])
        #expect(loaded.model == original)
        // Everything embedded again when asked.
        try ONNXWriter.write(loaded.model, to: folder + "/embedded.onnx", options: WriteOptions(externalData: .never))
        let embedded = try ONNXReader.load(path: folder + "/embedded.onnx")
        #expect(embedded.externalDataFiles.isEmpty)
        #expect(embedded.model == original)
    }

    /// Asked for external data, a model with no tensor past the threshold is written alone: it left
    /// an empty data file beside it (found by a review).
    @Test func noEmptyExternalDataFile() throws {
        var graph = Graph(name: "g")
        graph.initializers["t"] = Tensor(shape: [4], scalars: [Float](arrayLiteral: 1, 2, 3, 4))
        let folder = FileChecks.temporaryDirectory()
        let written = try ONNXWriter.write(Model(graph: graph), to: folder + "/m.onnx", options: WriteOptions(externalData: .always))
        #expect(written == [folder + "/m.onnx"])
        #expect(!FileChecks.exists(ONNXWriter.dataFilePath(for: folder + "/m.onnx")))
    }

    /// A function body's attribute that refers to the caller's (`ref_attr_name`, no value of its
    /// own) is written back without one: the file comes back byte for byte (it gained `f: 0`).
    @Test func attributeReferenceGainsNoValue() throws {
        let source = Fixtures.root + "/ops/local_function_called_twice/model.onnx"
        let path = FileChecks.temporaryDirectory() + "/copy.onnx"
        try ONNXWriter.write(try ONNXReader.read(path: source), to: path)
        #expect(FileChecks.read(path) == FileChecks.read(source))
    }

    @Test func writerIsDeterministic() throws {
        let model = try Fixtures.model("matmul_transformer_block").model()
        let folder = FileChecks.temporaryDirectory()
        try ONNXWriter.write(model, to: folder + "/a.onnx")
        try ONNXWriter.write(model, to: folder + "/b.onnx")
        #expect(FileChecks.read(folder + "/a.onnx") == FileChecks.read(folder + "/b.onnx"))
    }

    /// Tensors read from a file view the parsed message's bytes, and two initializers can share one
    /// buffer (constant folding makes an Identity's output a view of its input). Writing both must
    /// give both their values, for buffers short enough to sit inside the string object (8 bytes
    /// here) as for long ones. Found by review: the short one came out as [0].
    @Test(arguments: [1, 2048])
    func initializersSharingParsedBytesAreBothWritten(count: Int) throws {
        let values = (0..<count).map { Int64($0 + 6) }
        var graph = Graph(name: "g")
        graph.initializers["k"] = Tensor(shape: [count], scalars: values)
        let folder = FileChecks.temporaryDirectory()
        try ONNXWriter.write(Model(graph: graph), to: folder + "/a.onnx")
        var parsed = try ONNXReader.read(path: folder + "/a.onnx")
        parsed.graph.initializers["k2"] = parsed.graph.initializers["k"]
        try ONNXWriter.write(parsed, to: folder + "/b.onnx")
        let copy = try ONNXReader.read(path: folder + "/b.onnx")
        #expect(copy.graph.initializers["k"]?.integers() == values)
        #expect(copy.graph.initializers["k2"]?.integers() == values)
        #expect(parsed.graph.initializers["k2"]?.integers() == values, "the parsed tensors are intact after writing")
    }

    /// The default domain "" is written by onnx.helper and left out by other exporters: a copy keeps
    /// whichever the file had, so the message is unchanged (a stated "" was dropped).
    @Test(arguments: [true, false])
    func defaultDomainKeepsItsPresence(written: Bool) throws {
        let folder = FileChecks.temporaryDirectory()
        let model = Model(opsetImports: [OpsetImport(domain: "", version: 13, domainIsWritten: written)], graph: Graph(name: "g"))
        try ONNXWriter.write(model, to: folder + "/a.onnx")
        let read = try ONNXReader.read(path: folder + "/a.onnx")
        #expect(read.opsetImports.first?.domainIsWritten == written)
        try ONNXWriter.write(read, to: folder + "/b.onnx")
        #expect(FileChecks.read(folder + "/a.onnx") == FileChecks.read(folder + "/b.onnx"))
    }

    @Test func standaloneTensorFileIsRead() throws {
        // A TensorProto file as ONNX's test data stores them, built from a known tensor via a model.
        let expected = Tensor(shape: [2, 3], scalars: [Float](arrayLiteral: 1, -2, 3.5, 0, 1e-3, -7))
        var graph = Graph(name: "g")
        graph.initializers["t"] = expected
        let model = Model(graph: graph)
        let folder = FileChecks.temporaryDirectory()
        try ONNXWriter.write(model, to: folder + "/m.onnx")
        // The initializer is the only TensorProto in GraphProto field 5: cut it out of the file.
        let bytes = try #require(FileChecks.read(folder + "/m.onnx"))
        let tensorBytes = try #require(TensorProtoSlicer.firstInitializer(in: bytes))
        FileChecks.write(tensorBytes, to: folder + "/input_0.pb")
        let (name, tensor) = try ONNXReader.readTensor(path: folder + "/input_0.pb")
        #expect(name == "t")
        #expect(tensor == expected)
    }

    /// A tensor file's external data is looked for beside the tensor file, and refused outside that
    /// folder; the error named "the model's folder", though no model was being read.
    @Test func tensorFileExternalDataStaysInItsFolder() throws {
        var graph = Graph(name: "g")
        graph.initializers["t"] = Tensor(shape: [4], scalars: [Float](arrayLiteral: 1, 2, 3, 4))
        let folder = FileChecks.temporaryDirectory()
        var options = WriteOptions()
        options.externalData = .always
        options.externalThreshold = 0
        _ = try ONNXWriter.write(Model(graph: graph), to: folder + "/m.onnx", options: options)
        let modelBytes = try #require(FileChecks.read(folder + "/m.onnx"))
        let tensorBytes = try #require(TensorProtoSlicer.firstInitializer(in: modelBytes))
        let location = String(ONNXWriter.dataFilePath(for: folder + "/m.onnx").split(separator: "/").last!)
        mkdir(folder + "/set", 0o755)
        FileChecks.write(tensorBytes, to: folder + "/set/input_0.pb")
        symlink("../" + location, folder + "/set/" + location)
        #expect(throws: QConvertError("\(folder)/set/input_0.pb: tensor 't': external data location '\(location)' resolves outside the tensor file's folder (to \(folder)/\(location))")) {
            _ = try ONNXReader.readTensor(path: folder + "/set/input_0.pb")
        }
    }
}

/// Just enough protobuf wire-format walking to cut the first initializer out of a serialized model.
enum TensorProtoSlicer {
    static func firstInitializer(in model: [UInt8]) -> [UInt8]? {
        guard let graph = field(7, in: model[...]) else { return nil }
        return field(5, in: graph).map(Array.init)
    }

    /// The payload of the first length-delimited field `number` in `bytes`.
    static func field(_ number: Int, in bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var index = bytes.startIndex
        func varint() -> Int? {
            var value = 0, shift = 0
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                value |= Int(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while index < bytes.endIndex {
            guard let key = varint() else { return nil }
            switch key & 7 {
            case 0: guard varint() != nil else { return nil }
            case 1: index += 8
            case 5: index += 4
            case 2:
                guard let length = varint(), index + length <= bytes.endIndex else { return nil }
                if key >> 3 == number { return bytes[index..<(index + length)] }
                index += length
            default: return nil
            }
        }
        return nil
    }
}
