import COnnx
import QConvertIR

/// Reads ONNX model files into the IR.
///
/// Every failure is a `QConvertError` whose message starts with the file path and names the graph
/// element at fault; nothing here traps on bad input.
public enum ONNXReader {
    /// Reads the model at `path`; external data is looked up next to it.
    public static func read(path: String) throws -> Model {
        try load(path: path).model
    }

    /// Reads the model at `path`, with facts about the file that the IR does not hold.
    public static func load(path: String) throws -> LoadedModel {
        do {
            let file = try MappedFile(path: path)
            let resolver = ExternalDataResolver(baseDirectory: directory(of: path))
            let model = try read(bytes: file.bytes, resolver: resolver)
            return LoadedModel(model: model, path: path, fileBytes: file.bytes.count, externalDataFiles: resolver.locations)
        } catch let error as QConvertError {
            throw error.context(path)
        }
    }

    /// Reads a serialized model from memory. `baseDirectory` is where external data would be found.
    public static func read(bytes: UnsafeRawBufferPointer, baseDirectory: String?) throws -> Model {
        try read(bytes: bytes, resolver: ExternalDataResolver(baseDirectory: baseDirectory))
    }

    private static func read(bytes: UnsafeRawBufferPointer, resolver: ExternalDataResolver) throws -> Model {
        guard !bytes.isEmpty else { throw QConvertError("empty file, not an ONNX model") }
        var message = [CChar](repeating: 0, count: 256)
        let handle = qc_model_parse(bytes.baseAddress, bytes.count, &message, message.count)
        guard handle.p != nil else {
            throw QConvertError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        let owner = ParsedModel(handle: handle)
        let decoder = ModelDecoder(owner: owner, tensors: TensorDecoder(owner: owner, external: resolver))
        let model = try decoder.model()
        try model.graph.validate()
        return model
    }

    /// Reads a standalone serialized TensorProto (the `test_data_set_*/input_*.pb` files of ONNX's
    /// test data and ONNX Runtime's layout). External data is looked up next to the file.
    public static func readTensor(path: String) throws -> (name: String, tensor: Tensor) {
        do {
            let file = try MappedFile(path: path)
            guard !file.bytes.isEmpty else { throw QConvertError("empty file, not a TensorProto") }
            var message = [CChar](repeating: 0, count: 256)
            let handle = qc_tensor_parse(file.bytes.baseAddress, file.bytes.count, &message, message.count)
            guard handle.p != nil else {
                throw QConvertError(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            let owner = ParsedTensor(handle: handle)
            let decoder = TensorDecoder(owner: owner, external: ExternalDataResolver(baseDirectory: directory(of: path), folderName: "the tensor file's folder"))
            return (qc_tensor_name(handle).string, try decoder.tensor(handle))
        } catch let error as QConvertError {
            throw error.context(path)
        }
    }

    /// The folder holding `path` ("." for a bare file name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// A model read from a file, with what the file said about itself beyond the graph.
public struct LoadedModel: Sendable {
    public var model: Model
    public var path: String
    /// Size of the .onnx file itself.
    public var fileBytes: Int
    /// External data files the model's tensors were read from (locations relative to its folder).
    public var externalDataFiles: [String]

    /// The paths of those files.
    public var externalDataPaths: [String] {
        externalDataFiles.map { ONNXReader.directory(of: path) + "/" + $0 }
    }

    /// The model file and its external data: what a command reading it must not overwrite.
    public var inputFiles: [String] { [path] + externalDataPaths }
}
