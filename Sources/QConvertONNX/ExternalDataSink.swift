import QConvertIR

/// Collects large tensors into one external data file while a model is encoded.
///
/// Each tensor starts at a 64-byte aligned offset, so a reader that memory-maps the file can use the
/// bytes in place for any element type.
final class ExternalDataSink {
    struct Reference {
        let location: String
        let offset: Int
        let length: Int
    }

    let file: AtomicFile
    let location: String
    let threshold: Int

    init(file: AtomicFile, location: String, threshold: Int) {
        self.file = file
        self.location = location
        self.threshold = threshold
    }

    /// Appends the tensor's bytes and returns where they went, or nil if it is small enough to embed.
    func store(_ tensor: Tensor, name: String) throws -> Reference? {
        let bytes = tensor.storage.bytes
        guard bytes.count >= threshold else { return nil }
        let padding = (64 - file.size % 64) % 64
        if padding > 0 { try file.write([UInt8](repeating: 0, count: padding)) }
        let offset = file.size
        try file.write(bytes)
        return Reference(location: location, offset: offset, length: bytes.count)
    }
}
