#if canImport(Glibc)
import Glibc
#endif
import QConvertIR

/// Folder helpers with one-line errors.
public enum Directory {
    /// Creates `path` and its parents if missing; fails if it exists as a file. Returns the folders
    /// it created, outermost first, for a caller that removes them again when its work fails.
    @discardableResult
    public static func create(_ path: String) throws -> [String] {
        if let type = type(of: path) {
            guard type == S_IFDIR else { throw QConvertError("\(path): exists and is not a folder") }
            return []
        }
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let created = !parent.isEmpty && parent != path ? try create(parent) : []
        guard mkdir(path, 0o777) == 0 else {
            let failure = errno
            if failure == EEXIST { return created }
            for folder in created.reversed() { rmdir(folder) }
            throw QConvertError("\(path): cannot create folder: \(String(cString: strerror(failure)))")
        }
        return created + [path]
    }

    /// Whether `path` is an existing folder.
    public static func exists(_ path: String) -> Bool {
        type(of: path) == S_IFDIR
    }

    /// The file type of `path` (`S_IFDIR`, `S_IFREG`...), links followed; nil when nothing is there.
    public static func type(of path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & S_IFMT : nil
    }

    /// Names of the entries in `path` (not `.`/`..`), sorted bytewise so the order is the same on
    /// every machine.
    public static func entries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw QConvertError("\(path): \(String(cString: strerror(errno)))")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
    }
}
