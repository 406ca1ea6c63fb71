#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import QConvertIR

/// A read-only memory map of a whole file.
///
/// Why: weights in external-data files and the model file itself are read through the page cache
/// without a copy; tensors borrow ranges of the map and keep it alive (it is their storage owner).
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let path: String

    /// Maps `path`, or throws a one-line error naming it (missing, a directory, not a regular file,
    /// unreadable). Every file qconvert reads comes through here, so this is where a FIFO or device
    /// is refused: opened non-blocking (a plain open of a FIFO waits forever for a writer), then
    /// checked by `fstat` on the descriptor itself, so nothing can swap the file in between.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw QConvertError("\(path): \(systemErrorDescription(errno))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw QConvertError("\(path): \(systemErrorDescription(errno))") }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw QConvertError("\(path): is a directory, not a file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw QConvertError("\(path): not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw QConvertError("\(path): cannot map file: \(systemErrorDescription(errno))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Hands the pages under `region` of this map (whole pages around it) back to the kernel. Why:
    /// a large file read once front to back (an archive checked against its CRC, a deflate stream
    /// inflated) would otherwise stay resident as long as its map lives. The map is private and
    /// read-only, so a page touched again is read from the file again.
    public func release(_ region: UnsafeRawBufferPointer) {
        guard let base = region.baseAddress, let start = bytes.baseAddress, !region.isEmpty else { return }
        precondition(base >= start && base + region.count <= start + bytes.count, "release: region outside the map")
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = max(Int(bitPattern: base) / page * page, Int(bitPattern: start))
        madvise(UnsafeMutableRawPointer(bitPattern: first), Int(bitPattern: base) + region.count - first, MADV_DONTNEED)
    }
}

/// strerror as a Swift string ("No such file or directory").
func systemErrorDescription(_ code: Int32) -> String {
    String(cString: strerror(code))
}
