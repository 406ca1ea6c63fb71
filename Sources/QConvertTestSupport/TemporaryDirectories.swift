#if canImport(Glibc)
import Glibc
#endif
import QConvert

/// Fresh folders under /tmp for one test, deleted with everything in them when this object goes.
///
/// Why: Swift Testing makes a new suite instance per test, so a suite holding one of these as a
/// property cleans up after every test, pass or fail, instead of leaving folders behind each run.
public final class TemporaryDirectories: @unchecked Sendable {
    private let label: String
    private var made: [String] = []

    public init(label: String = "qconvert-test") {
        self.label = label
    }

    /// A new empty folder, removed in `deinit`.
    public func make() -> String {
        let path = FileChecks.temporaryDirectory(label)
        made.append(path)
        return path
    }

    deinit {
        made.forEach(Self.removeTree)
    }

    /// Deletes `path` and what it holds, not following symbolic links.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in (try? Directory.entries(path)) ?? [] { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
