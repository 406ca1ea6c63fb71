#if canImport(Glibc)
import Glibc
#endif
import COnnx
import QConvertIR

/// How a model file is written.
public struct WriteOptions: Sendable {
    /// Where tensor bytes go: inside the .onnx, or into a separate `<name>.data` file beside it.
    public enum ExternalData: String, Sendable, CaseIterable {
        /// Embedded, unless the model would pass protobuf's 2 GB limit; then external.
        case automatic
        /// Tensors of at least `externalThreshold` bytes go to the data file.
        case always
        /// Always embedded; a model over 2 GB is an error.
        case never
    }

    public var externalData: ExternalData
    public var externalThreshold: Int
    /// Files the write must not replace: the command's inputs, including the external data the
    /// model was read from. Checked against both files written, because the data file's name
    /// (`<name>.data` beside the output) can be an input's data file even when the output is not.
    public var inputs: [String]

    public init(externalData: ExternalData = .automatic, externalThreshold: Int = 1024, inputs: [String] = []) {
        self.externalData = externalData
        self.externalThreshold = externalThreshold
        self.inputs = inputs
    }
}

/// Writes the IR as an ONNX file, atomically (temp file + rename), never half-written.
public enum ONNXWriter {
    /// Protobuf refuses to serialize a message of 2 GB or more; keep headroom for the graph itself.
    static let embeddedLimit = 2_000_000_000

    /// Writes `model` to `path`; returns the paths written (the model, and the data file if any).
    @discardableResult
    public static func write(_ model: Model, to path: String, options: WriteOptions = WriteOptions()) throws -> [String] {
        let external: Bool
        switch options.externalData {
        case .always: external = true
        case .never: external = false
        case .automatic: external = tensorBytes(model.graph) >= embeddedLimit
        }
        if external { try checkLinkKeepsItsFolder(path) }
        let (dataPath, location) = externalDataFile(for: path)
        for destination in [path] + (external ? [dataPath] : []) {
            if options.inputs.contains(where: { AtomicFile.isSameFile($0, destination) }) {
                throw QConvertError("\(destination): is an input file; refusing to overwrite it (choose another -o)")
            }
        }
        let modelFile = try AtomicFile(destination: path)
        var dataFile: AtomicFile?
        var sink: ExternalDataSink?
        if external {
            let file = try AtomicFile(destination: dataPath)
            dataFile = file
            sink = ExternalDataSink(file: file, location: location, threshold: options.externalData == .automatic ? 1024 : options.externalThreshold)
        }
        let encoded = try ModelEncoder(external: sink).encode(model)
        let size = qc_model_byte_size(encoded.handle)
        guard size < Int(Int32.max) else {
            throw QConvertError("\(path): the model serializes to \(size) bytes, over protobuf's 2 GB limit; write it with external data")
        }
        guard qc_model_write_fd(encoded.handle, modelFile.descriptor) != 0 else {
            throw modelFile.failure(errno)
        }
        // No tensor large enough to go outside: no empty data file beside the model.
        if dataFile?.size == 0 { dataFile = nil }
        try dataFile?.commit()
        try modelFile.commit()
        return [path] + (dataFile.map { [$0.destination] } ?? [])
    }

    /// The serialized model, every tensor embedded: the bytes `write` would put in a file with
    /// `externalData: .never`. For checks that read a written model back without touching the disk
    /// (the fuzz target, hostile-input tests).
    public static func serialize(_ model: Model) throws -> [UInt8] {
        let encoded = try ModelEncoder(external: nil).encode(model)
        let size = qc_model_byte_size(encoded.handle)
        guard size < Int(Int32.max) else {
            throw QConvertError("the model serializes to \(size) bytes, over protobuf's 2 GB limit")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let ok = bytes.withUnsafeMutableBytes { qc_model_serialize(encoded.handle, $0.baseAddress, $0.count) }
        guard ok != 0 else { throw QConvertError("protobuf could not serialize the model") }
        return bytes
    }

    /// Refuses `path` when it is a symbolic link to a file in another folder. Why: ONNX Runtime, the
    /// onnx package and qconvert find external data relative to the folder a model is opened from,
    /// which differs for the link and its target, so one of the two would open without its data
    /// (the data was written beside the target, and opening the link failed).
    public static func checkLinkKeepsItsFolder(_ path: String) throws {
        let target = try AtomicFile.followingLink(path)
        func folder(_ file: String) -> String {
            let directory = ONNXReader.directory(of: file)
            guard let resolved = realpath(directory, nil) else { return directory }
            defer { free(resolved) }
            return String(cString: resolved)
        }
        guard target != path, folder(target) != folder(path) else { return }
        throw QConvertError("\(path): is a symbolic link into another folder (to \(target)); a model's external data is found from the folder it is opened in, which differs for the two: give -o \(target)")
    }

    /// `out/model.int8.onnx` -> `out/model.int8.data`: where the tensors go when written outside.
    public static func dataFilePath(for path: String) -> String {
        externalDataFile(for: path).path
    }

    /// `out/model.int8.onnx` -> (`out/model.int8.data`, location `model.int8.data`), beside the file a
    /// link at `path` leads to (in the same folder: `checkLinkKeepsItsFolder`), named after it.
    static func externalDataFile(for path: String) -> (path: String, location: String) {
        let target = (try? AtomicFile.followingLink(path)) ?? path
        var base = target.split(separator: "/").last.map(String.init) ?? target
        if base.hasSuffix(".onnx") { base.removeLast(5) }
        return (ONNXReader.directory(of: target) + "/" + base + ".data", base + ".data")
    }

    /// Total bytes of tensor data in a graph and its subgraphs (initializers and tensor attributes).
    static func tensorBytes(_ graph: Graph) -> Int {
        var total = 0
        graph.forEachGraph { g in
            total += g.initializers.values.reduce(0) { $0 + $1.storage.bytes.count }
            for node in g.nodes {
                for attribute in node.attributes {
                    switch attribute.value {
                    case .tensor(let t): total += t.storage.bytes.count
                    case .tensors(let ts): total += ts.reduce(0) { $0 + $1.storage.bytes.count }
                    default: break
                    }
                }
            }
        }
        return total
    }
}
