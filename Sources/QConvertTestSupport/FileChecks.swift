#if canImport(Glibc)
import Glibc
#endif

/// File-system checks tests need, without Foundation.
public enum FileChecks {
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// A fresh empty folder under /tmp for one test.
    public static func temporaryDirectory(_ label: String = "qconvert-test") -> String {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer in
            String(cString: mkdtemp(buffer.baseAddress!))
        }
    }

    /// The bytes of a file.
    public static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// Writes bytes to a file (tests only; the library writes through AtomicFile).
    public static func write(_ bytes: [UInt8], to path: String) {
        guard let file = fopen(path, "wb") else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
    }
}
