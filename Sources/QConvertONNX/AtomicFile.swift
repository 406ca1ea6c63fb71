#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CPendingFiles
import QConvertIR

/// A file written under a temporary name in its destination folder and renamed into place only when
/// complete, so a crash, a full disk or an error never leaves a half-written output behind.
///
/// Refuses destinations that are directories or special files (`-o /dev/full` must fail, not replace
/// the device node). Discarded (temp file removed) unless `commit()` succeeds, also when the process
/// is interrupted, in programs that call `removeOnSignals()`. Replacing an existing file keeps its
/// permission bits (a private 0600 output stays private).
public final class AtomicFile {
    public let destination: String
    private let temporary: String
    private var fd: Int32
    private var committed = false
    private var pendingSlot: Int32 = -1

    /// Removes every temporary file still being written when SIGINT, SIGTERM or SIGHUP ends the
    /// process, and turns SIGXFSZ (a file past `ulimit -f`) into a write error. For programs: a
    /// library should not take over its host's signals.
    public static func removeOnSignals() {
        qc_pending_install_handlers()
    }

    public init(destination: String) throws {
        let destination = try Self.followingLink(destination)
        var info = stat()
        var existingMode: mode_t?
        if stat(destination, &info) == 0 {
            existingMode = info.st_mode & 0o777
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw QConvertError("\(destination): is a directory; give a file name to write")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw QConvertError("\(destination): not a regular file; refusing to replace it")
            }
        }
        self.destination = destination
        let folder = ONNXReader.directory(of: destination)
        let base = destination.split(separator: "/").last.map(String.init) ?? destination
        var attempt = 0
        while true {
            let candidate = "\(folder)/.\(base).tmp-\(getpid())-\(attempt)"
            // Registered before it exists, so a signal arriving right after the file appears
            // still removes it.
            let slot = qc_pending_add(candidate)
            let opened = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if opened >= 0 {
                temporary = candidate
                fd = opened
                pendingSlot = slot
                // An existing file's permission bits, exactly; a new file gets 0666 less the umask.
                if let existingMode { fchmod(opened, existingMode) }
                break
            }
            let failure = errno
            qc_pending_remove(slot)
            guard failure == EEXIST, attempt < 1000 else {
                throw QConvertError("\(destination): cannot create a file in '\(folder)': \(systemErrorDescription(failure))")
            }
            attempt += 1
        }
    }

    /// `path`, or the file it points at if it is a symbolic link: writing goes through a link, as
    /// `cp` and editors do (renaming onto the link itself would replace it with a regular file and
    /// leave its target unchanged; `-o /dev/stdout` replaced the system's link that way).
    public static func followingLink(_ path: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            throw QConvertError("\(path): is a symbolic link to a missing file; give the path to write")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Whether two paths name the same existing file (device and inode), so `./m.onnx`, `m.onnx` and a
    /// hard link to it all match.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        var infoA = stat(), infoB = stat()
        guard stat(a, &infoA) == 0, stat(b, &infoB) == 0 else { return false }
        return infoA.st_dev == infoB.st_dev && infoA.st_ino == infoB.st_ino
    }

    /// The open descriptor, for writers that stream into it (protobuf's serializer).
    public var descriptor: Int32 { fd }

    /// Appends bytes, retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Current length of what was written.
    public var size: Int { Int(lseek(fd, 0, SEEK_CUR)) }

    /// The error for a failed write, naming the destination.
    public func failure(_ code: Int32) -> QConvertError {
        QConvertError("cannot write '\(destination)': \(systemErrorDescription(code))")
    }

    /// Closes and renames into place. The rename is atomic, so a crash or error leaves either the old
    /// file or the complete new one. No fsync: like onnx.save and ONNX Runtime, durability across a
    /// power cut is left to the file system (ext4 flushes data before a rename that replaces a file);
    /// an fsync would cost as much as writing a 10 MB model.
    public func commit() throws {
        try finishWriting()
        guard rename(temporary, destination) == 0 else { throw failure(errno) }
        committed = true
        unregister()
    }

    /// Closes the temporary file, written in full, without putting it in place: a writer of many
    /// files closes each as it goes (one descriptor open at a time, and any error `close` reports,
    /// such as a full disk on NFS, met before anything is renamed), then commits them all.
    public func finishWriting() throws {
        guard fd >= 0 else { return }
        defer { fd = -1 }
        guard close(fd) == 0 else { throw failure(errno) }
    }

    /// Takes the temporary name off the interrupt list, once: a slot freed twice could by then
    /// belong to another file being written, which an interrupt would then leave behind.
    private func unregister() {
        qc_pending_remove(pendingSlot)
        pendingSlot = -1
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporary) }
        unregister()
    }
}
