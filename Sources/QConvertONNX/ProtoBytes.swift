import COnnx

/// Conversions between COnnx's byte views and Swift values; the one place that knows qc_bytes' layout.
extension qc_bytes {
    var string: String {
        guard size > 0, let data else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    }

    var array: [UInt8] {
        guard size > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: size))
    }

    var raw: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: data, count: size)
    }
}

/// Lends `string`'s UTF-8 bytes to a setter as a qc_bytes view.
func withBytes<R>(_ string: String, _ body: (qc_bytes) -> R) -> R {
    var copy = string
    return copy.withUTF8 { utf8 in
        body(qc_bytes(data: UnsafeRawPointer(utf8.baseAddress)?.assumingMemoryBound(to: CChar.self), size: utf8.count))
    }
}

/// Lends a byte array to a setter as a qc_bytes view.
func withBytes<R>(_ bytes: [UInt8], _ body: (qc_bytes) -> R) -> R {
    bytes.withUnsafeBytes { raw in
        body(qc_bytes(data: raw.baseAddress?.assumingMemoryBound(to: CChar.self), size: raw.count))
    }
}

/// A typed repeated field returned by a `(handle, &count) -> pointer` accessor, as a buffer view.
func repeatedView<T>(_ accessor: (UnsafeMutablePointer<Int32>) -> UnsafePointer<T>?) -> UnsafeBufferPointer<T> {
    var count: Int32 = 0
    let pointer = accessor(&count)
    return UnsafeBufferPointer(start: count > 0 ? pointer : nil, count: Int(count))
}
