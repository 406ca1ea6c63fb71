#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import COnnx
import QConvertIR

/// Finds the bytes of tensors stored outside the model file (`data_location = EXTERNAL`).
///
/// Locations are relative to the model's folder. Absolute paths and paths leaving the folder (`..`,
/// or a symlink that resolves outside it) are refused: a model from a stranger must not make us read
/// arbitrary files. Each data file is memory-mapped once and tensors borrow ranges of the map.
final class ExternalDataResolver {
    /// The model's folder, or nil when the model was read from memory (external data then is an error).
    let baseDirectory: String?
    /// What errors call that folder: "the model's folder", or the folder of a tensor file (ONNX test data).
    let folderName: String
    private var maps: [String: MappedFile] = [:]

    /// Locations of the data files read so far, sorted.
    var locations: [String] { maps.keys.sorted() }

    init(baseDirectory: String?, folderName: String = "the model's folder") {
        self.baseDirectory = baseDirectory
        self.folderName = folderName
    }

    func storage(for t: qc_tensor, byteCount: Int, alignment: Int) throws -> TensorStorage {
        var location: String?
        var offset = 0
        var length: Int?
        for i in 0..<qc_tensor_external_data_count(t) {
            let entry = qc_tensor_external_data_at(t, i)
            let value = qc_entry_value(entry).string
            switch qc_entry_key(entry).string {
            case "location": location = value
            case "offset":
                guard let v = Int(value), v >= 0 else { throw QConvertError("external data offset '\(value)' is not a non-negative integer") }
                offset = v
            case "length":
                guard let v = Int(value), v >= 0 else { throw QConvertError("external data length '\(value)' is not a non-negative integer") }
                length = v
            default: continue
            }
        }
        guard let location, !location.isEmpty else { throw QConvertError("is marked external but has no location") }
        if let length, length != byteCount {
            throw QConvertError("external data length \(length) does not match the \(byteCount) bytes its type and shape need")
        }
        let file = try map(location)
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= file.bytes.count else {
            let range = overflow ? "\(byteCount) bytes from offset \(offset)" : "bytes \(offset)..<\(end)"
            throw QConvertError("external data '\(location)' holds \(file.bytes.count) bytes; the tensor needs \(range)")
        }
        let region = UnsafeRawBufferPointer(rebasing: file.bytes[offset..<end])
        return TensorStorage(borrowing: region, owner: file, alignment: alignment)
    }

    private func map(_ location: String) throws -> MappedFile {
        if let file = maps[location] { return file }
        guard let baseDirectory else {
            throw QConvertError("external data '\(location)' cannot be found: the model was not read from a file")
        }
        guard !location.hasPrefix("/") else {
            throw QConvertError("external data location '\(location)' is an absolute path; only paths inside \(folderName) are allowed")
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else {
            throw QConvertError("external data location '\(location)' leaves \(folderName)")
        }
        let path = baseDirectory + "/" + location
        guard let realBase = realPath(baseDirectory) else { throw QConvertError("cannot resolve folder '\(baseDirectory)'") }
        guard let realFile = realPath(path) else {
            throw QConvertError("external data file '\(path)' does not exist")
        }
        guard realFile != realBase else {
            throw QConvertError("external data location '\(location)' names \(folderName) itself, not a file in it")
        }
        guard realFile.hasPrefix(realBase.hasSuffix("/") ? realBase : realBase + "/") else {
            throw QConvertError("external data location '\(location)' resolves outside \(folderName) (to \(realFile))")
        }
        let file = try MappedFile(path: path)
        maps[location] = file
        return file
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
