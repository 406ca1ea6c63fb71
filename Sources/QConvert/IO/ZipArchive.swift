import CZlib
import QConvertIR
import QConvertONNX

/// The members of a zip archive, read through its central directory; stored and deflated members
/// only, each checked against its CRC-32 (`verify`, `index`).
///
/// Why a reader of our own: `.npz` calibration files are zip archives (numpy's `savez` stores,
/// `savez_compressed` deflates), and a small reader over a memory map keeps stored members zero-copy.
/// Zip64 fields are read (numpy's zipfile writes sizes and offsets there past 2 GiB); encryption and
/// multi-disk archives are rejected with a one-line error. Errors name the archive and, where it
/// applies, the member.
public final class ZipArchive {
    /// A central-directory entry (equal entries: the same bytes at the same place, as far as the
    /// directory can tell).
    public struct Member: Equatable {
        public let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int

        /// Deflated (method 8) rather than stored (0); the directory admits no other method.
        var isDeflated: Bool { method == 8 }
    }

    public let path: String
    public let members: [Member]
    private let file: MappedFile

    public init(path: String) throws {
        self.path = path
        do {
            file = try MappedFile(path: path)
            members = try Self.centralDirectory(file.bytes)
        } catch let error as QConvertError {
            throw error.context(path)
        }
    }

    /// An index of the deflated `member` (it is inflated once to build it, and checked).
    func index(of member: Member) throws -> DeflateIndex {
        try naming(member) {
            try DeflateIndex(compressed: deflatedBytes(of: member), in: file, size: member.uncompressedSize, crc: member.crc,
                             label: "\(path): member '\(member.name)'")
        }
    }

    /// The deflated `member` inflated whole, and checked: for an array read whole, in one pass.
    func inflated(_ member: Member) throws -> TensorStorage {
        try naming(member) {
            let bytes = try deflatedBytes(of: member)
            return try TensorStorage(uninitializedByteCount: member.uncompressedSize) { out in
                _ = try DeflateIndex(compressed: bytes, in: file, size: out.count, crc: member.crc, spacing: max(1, out.count), output: out)
            }
        }
    }

    /// A deflated member's compressed bytes, its declared size first bounded by what they can
    /// produce (deflate's densest code is 1 bit per 258-byte match, 1032:1), so a corrupt size
    /// fails before any work or allocation.
    private func deflatedBytes(of member: Member) throws -> UnsafeRawBufferPointer {
        let (limit, overflow) = member.compressedSize.multipliedReportingOverflow(by: 1032)
        guard overflow || member.uncompressedSize <= limit + 258 else {
            throw QConvertError("declares \(member.uncompressedSize) bytes inflated from \(member.compressedSize), more than deflate can produce (corrupt archive)")
        }
        return try compressedBytes(of: member)
    }

    /// A stored member's bytes in the memory map (owned by this archive), not checked against its
    /// CRC-32: `verify` does that once, so that reading a sample does not read the whole member
    /// again. Nil for a deflated member.
    public func storedBytes(of member: Member) throws -> UnsafeRawBufferPointer? {
        try naming(member) { member.isDeflated ? nil : try compressedBytes(of: member) }
    }

    /// Checks a stored member against its CRC-32 a piece at a time, handing each piece's pages back
    /// to the kernel after it: checking a 2 GB member leaves none of it resident.
    public func verify(storedMember member: Member) throws {
        try naming(member) {
            guard let bytes = try storedBytes(of: member) else { return }
            var crc: uLong = 0, at = 0
            while at < bytes.count {
                let n = Swift.min(Self.verifyPiece, bytes.count - at)
                let piece = bytes.baseAddress! + at
                crc = crc32(crc, piece.assumingMemoryBound(to: Bytef.self), uInt(n))
                file.release(UnsafeRawBufferPointer(start: piece, count: n))
                at += n
            }
            guard UInt32(crc) == member.crc else { throw QConvertError("CRC-32 mismatch (corrupt archive)") }
        }
    }

    /// How much of a stored member `verify` reads before releasing it (less than `zlibPiece`).
    static let verifyPiece = 8 << 20

    /// The member's bytes as the archive holds them (deflated or not), after its local header.
    private func compressedBytes(of member: Member) throws -> UnsafeRawBufferPointer {
        let bytes = file.bytes
        let local = member.localHeaderOffset
        guard local + 30 <= bytes.count, bytes.u32(local) == 0x0403_4b50 else {
            throw QConvertError("local header missing (corrupt archive)")
        }
        let start = local + 30 + Int(bytes.u16(local + 26)) + Int(bytes.u16(local + 28))
        guard start + member.compressedSize <= bytes.count else { throw QConvertError("truncated archive") }
        if !member.isDeflated && member.compressedSize != member.uncompressedSize {
            throw QConvertError("stored sizes disagree (corrupt archive)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + member.compressedSize)])
    }

    /// `body`'s errors, prefixed with the archive and member (once: an error already named so is
    /// left as it is).
    func naming<T>(_ member: Member, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as QConvertError {
            throw error.context("\(path): member '\(member.name)'")
        }
    }

    /// zlib counts bytes in 32-bit `uInt`s: members past 4 GiB are checksummed and inflated in
    /// pieces of at most this many bytes (a single call trapped converting its size).
    static let zlibPiece = 1 << 30

    /// Where the central directory is and how many entries it holds: from the end record, or from
    /// the zip64 end record its locator points to.
    struct DirectoryLocation {
        var disk: UInt64, directoryDisk: UInt64, entriesHere: UInt64, entries: UInt64, size: UInt64, offset: UInt64
    }

    static func directory(_ bytes: UnsafeRawBufferPointer, end: Int) throws -> DirectoryLocation {
        guard end >= 20 && bytes.u32(end - 20) == 0x0706_4b50 else {
            let found = DirectoryLocation(disk: UInt64(bytes.u16(end + 4)), directoryDisk: UInt64(bytes.u16(end + 6)),
                                  entriesHere: UInt64(bytes.u16(end + 8)), entries: UInt64(bytes.u16(end + 10)),
                                  size: UInt64(bytes.u32(end + 12)), offset: UInt64(bytes.u32(end + 16)))
            guard found.entries != 0xFFFF, found.size != 0xFFFF_FFFF, found.offset != 0xFFFF_FFFF else {
                throw QConvertError("the end record defers to a zip64 end record that is missing (corrupt archive)")
            }
            return found
        }
        let record = bytes.u64(end - 12), last = end - 20 - 56   // the 56-byte record ends before its locator
        guard last >= 0, record <= UInt64(last), bytes.u32(Int(record)) == 0x0606_4b50 else {
            throw QConvertError("zip64 end record missing (corrupt archive)")
        }
        let at = Int(record)
        return DirectoryLocation(disk: UInt64(bytes.u32(at + 16)), directoryDisk: UInt64(bytes.u32(at + 20)),
                         entriesHere: bytes.u64(at + 24), entries: bytes.u64(at + 32), size: bytes.u64(at + 40), offset: bytes.u64(at + 48))
    }

    /// Parses the end-of-central-directory record and the entries it points to.
    static func centralDirectory(_ bytes: UnsafeRawBufferPointer) throws -> [Member] {
        guard let end = endRecord(bytes) else { throw QConvertError("not a zip archive (no end-of-central-directory record)") }
        let found = try directory(bytes, end: end)
        guard found.disk == 0, found.directoryDisk == 0, found.entriesHere == found.entries else {
            throw QConvertError("multi-disk (split) zip archives are not supported")
        }
        // Each entry takes 46 bytes at least, so a count the file cannot hold is refused before the loop.
        guard found.offset <= UInt64(end), found.size <= UInt64(end) - found.offset, found.entries <= found.size / 46 else {
            throw QConvertError("central directory lies outside the file (corrupt archive)")
        }
        let size = Int(found.size), offset = Int(found.offset), entries = Int(found.entries)
        var members: [Member] = []
        var at = offset
        for _ in 0..<entries {
            guard at + 46 <= offset + size, bytes.u32(at) == 0x0201_4b50 else {
                throw QConvertError("central directory entry \(members.count + 1) is corrupt")
            }
            let flags = bytes.u16(at + 8), method = bytes.u16(at + 10)
            let nameLength = Int(bytes.u16(at + 28))
            let next = at + 46 + nameLength + Int(bytes.u16(at + 30)) + Int(bytes.u16(at + 32))
            guard next <= offset + size else { throw QConvertError("central directory entry \(members.count + 1) is corrupt") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)]), as: UTF8.self)
            var sizes = (uncompressed: UInt64(bytes.u32(at + 24)), compressed: UInt64(bytes.u32(at + 20)), local: UInt64(bytes.u32(at + 42)))
            if sizes.uncompressed == 0xFFFF_FFFF || sizes.compressed == 0xFFFF_FFFF || sizes.local == 0xFFFF_FFFF {
                let extra = UnsafeRawBufferPointer(rebasing: bytes[(at + 46 + nameLength)..<(at + 46 + nameLength + Int(bytes.u16(at + 30)))])
                sizes = try zip64Sizes(sizes, extra: extra, member: name)
            }
            // Past the file's own size a member cannot lie (deflated sizes are bounded in `deflatedBytes`).
            guard sizes.compressed <= UInt64(bytes.count), sizes.local <= UInt64(bytes.count), sizes.uncompressed <= UInt64(Int.max) else {
                throw QConvertError("member '\(name)': sizes past the end of the file (corrupt archive)")
            }
            if flags & 0x41 != 0 { throw QConvertError("member '\(name)': encrypted archives are not supported") }
            if bytes.u16(at + 34) != 0 { throw QConvertError("multi-disk (split) zip archives are not supported") }
            guard method == 0 || method == 8 else {
                throw QConvertError("member '\(name)': compression method \(method) is not supported (stored and deflate are)")
            }
            members.append(Member(name: name, method: method, crc: bytes.u32(at + 16), compressedSize: Int(sizes.compressed),
                                  uncompressedSize: Int(sizes.uncompressed), localHeaderOffset: Int(sizes.local)))
            at = next
        }
        return members
    }

    /// A central entry's sizes with those marked 0xFFFFFFFF taken from its zip64 extra field (id 1),
    /// which holds them as 8-byte values in the order uncompressed, compressed, local header offset.
    static func zip64Sizes(_ sizes: (uncompressed: UInt64, compressed: UInt64, local: UInt64), extra: UnsafeRawBufferPointer,
                           member: String) throws -> (uncompressed: UInt64, compressed: UInt64, local: UInt64) {
        var at = 0
        while at + 4 <= extra.count {
            let id = extra.u16(at), length = Int(extra.u16(at + 2))
            guard at + 4 + length <= extra.count else { break }
            if id == 1 {
                var result = sizes, next = at + 4
                func take(_ value: inout UInt64) throws {
                    guard value == 0xFFFF_FFFF else { return }
                    guard next + 8 <= at + 4 + length else { throw QConvertError("member '\(member)': zip64 field too short (corrupt archive)") }
                    value = extra.u64(next)
                    next += 8
                }
                try take(&result.uncompressed)
                try take(&result.compressed)
                try take(&result.local)
                return result
            }
            at += 4 + length
        }
        throw QConvertError("member '\(member)': sizes deferred to a zip64 field that is missing (corrupt archive)")
    }

    /// Offset of the end-of-central-directory record: the last signature whose comment length
    /// reaches exactly to the end of the file.
    static func endRecord(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 22 else { return nil }
        var at = bytes.count - 22
        let lowest = Swift.max(0, bytes.count - 22 - 65535)
        while at >= lowest {
            if bytes.u32(at) == 0x0605_4b50 && at + 22 + Int(bytes.u16(at + 20)) == bytes.count { return at }
            at -= 1
        }
        return nil
    }
}

extension UnsafeRawBufferPointer {
    /// Little-endian integers at a byte offset (callers check bounds).
    func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
