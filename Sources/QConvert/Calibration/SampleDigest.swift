import QConvertIR

/// A 64-bit FNV-1a (`FNV64`) hash of one sample's input tensors (names in sorted order, element types,
/// shapes and bytes, the bytes taken 8 at a time), as 16 hex digits.
///
/// Why: `merge-stats` warns when shards share samples, which count twice, and file paths cannot
/// tell: each job of an array may list its own files as calib/0000.npy, and one file may be named
/// two ways (relative and absolute). The content can.
enum SampleDigest {
    static func of(_ feeds: [String: Tensor]) -> String {
        var hash = FNV64()
        func mix(_ word: UInt64) { hash.mix(word) }
        for name in feeds.keys.sorted() {
            let tensor = feeds[name]!
            name.utf8.forEach { mix(UInt64($0)) }
            mix(UInt64(bitPattern: Int64(tensor.dataType.rawValue)))
            tensor.shape.forEach { mix(UInt64(bitPattern: Int64($0))) }
            let bytes = tensor.storage.bytes
            let words = bytes.count / 8
            for k in 0..<words { mix(bytes.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)) }
            for k in (8 * words)..<bytes.count { mix(UInt64(bytes[k])) }
        }
        return hash.hex
    }
}
