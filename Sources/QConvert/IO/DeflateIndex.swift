import CZlib
import QConvertIR
import QConvertONNX

/// Reads any byte range of one deflated zip member without inflating the member whole.
///
/// Why: a split `np.savez_compressed` archive feeds calibration one batch at a time, mostly in
/// order but not only (the search steps go back to the first and the last samples); inflating it
/// whole kept the whole dataset in memory. Building the index inflates the member once, checking
/// its CRC-32 and its size, and keeps a copy of zlib's state (32 KB of window and the decoder's
/// registers) every `spacing` bytes of output; a read resumes from the last copy at or before it,
/// so it inflates at most `spacing` bytes it does not return. The copies are never changed after
/// the build, so reads from several threads need no lock.
final class DeflateIndex: @unchecked Sendable {
    /// The member's inflated size.
    let size: Int
    private let input: UnsafeRawBufferPointer
    /// The map `input` lies in (kept alive here), whose pages are released after use; nil when the
    /// caller keeps `input` alive itself.
    private let file: MappedFile?
    private let piece: Int
    /// The archive and member, for errors when reading (the build's errors are named by its caller).
    private let label: String?
    /// zlib's state when `output` bytes had come out, the first at 0.
    private var points: [(stream: UnsafeMutablePointer<z_stream>, output: Int)] = []

    /// Inflates `compressed` (raw deflate, in `file`'s map if given), which must produce exactly
    /// `size` bytes with CRC-32 `crc`; a state every `spacing` bytes (by default 4 MB, or more so
    /// that at most 256 are kept: 10 MB of zlib state at most). The bytes go to `output` when given
    /// (`size` bytes: the whole member read in the same pass), else nowhere.
    /// `piece`: the most bytes handed to zlib at once (tests make it small).
    init(compressed: UnsafeRawBufferPointer, in file: MappedFile?, size: Int, crc: UInt32, label: String? = nil,
         spacing: Int? = nil, piece: Int = ZipArchive.zlibPiece, output: UnsafeMutableRawBufferPointer? = nil) throws {
        precondition(output == nil || output!.count == size)
        self.input = compressed
        self.piece = piece
        self.file = file
        self.size = size
        self.label = label
        guard !compressed.isEmpty else { throw QConvertError("corrupt deflate data (no data)") }
        let spacing = max(1, spacing ?? max(4 << 20, (size + 255) / 256))
        let stream = try Self.start()
        defer { Self.end(stream) }
        points.append((try Self.copy(stream), 0))
        var scratch = [UInt8](repeating: 0, count: output == nil ? min(1 << 20, piece, max(1, size)) : 0)
        var checksum: uLong = 0
        var produced = 0
        try scratch.withUnsafeMutableBytes { buffer in
            while produced < size {
                // At most `piece` at a time into `output` too: the CRC-32 below takes a 32-bit count.
                let wanted = min(output == nil ? buffer.count : piece, (produced / spacing + 1) * spacing - produced, size - produced)
                let out = output.map { UnsafeMutableRawBufferPointer(rebasing: $0[produced..<(produced + wanted)]) }
                    ?? UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted])
                try inflate(stream, into: out)
                checksum = crc32(checksum, out.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(wanted))
                produced += wanted
                if produced % spacing == 0 && produced < size { points.append((try Self.copy(stream), produced)) }
            }
        }
        // Declared size reached: the stream must end there, neither early (inflate threw) nor later.
        var probe: UInt8 = 0
        let status = withUnsafeMutablePointer(to: &probe) { byte in
            stream.pointee.next_out = byte
            stream.pointee.avail_out = 1
            refill(stream)
            return CZlib.inflate(stream, Z_NO_FLUSH)
        }
        guard status == Z_STREAM_END && stream.pointee.avail_out == 1 else {
            let longer = stream.pointee.avail_out == 0
            throw QConvertError("corrupt deflate data (\(longer ? "longer than declared" : "no end of stream after the declared size"))")
        }
        file?.release(input)
        guard UInt32(checksum) == crc else { throw QConvertError("CRC-32 mismatch (corrupt archive)") }
    }

    deinit {
        for point in points { Self.end(point.stream) }
    }

    /// Inflates bytes `range` of the member into `out` (`range.count` bytes); errors name the member.
    func read(_ range: Range<Int>, into out: UnsafeMutableRawBufferPointer) throws {
        do {
            try inflate(range, into: out)
        } catch let error as QConvertError {
            throw label.map { error.context($0) } ?? error
        }
    }

    private func inflate(_ range: Range<Int>, into out: UnsafeMutableRawBufferPointer) throws {
        precondition(range.lowerBound >= 0 && range.upperBound <= size && out.count == range.count)
        let point = points.last { $0.output <= range.lowerBound }!
        let stream = try Self.copy(point.stream)
        defer { Self.end(stream) }
        var skip = range.lowerBound - point.output
        if skip > 0 {
            var scratch = [UInt8](repeating: 0, count: min(skip, 1 << 16))
            try scratch.withUnsafeMutableBytes { buffer in
                while skip > 0 {
                    let n = min(skip, buffer.count)
                    try inflate(stream, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n]))
                    skip -= n
                }
            }
        }
        if !out.isEmpty { try inflate(stream, into: out) }
        // The compressed bytes this read went through, so reading every sample does not leave the
        // whole member resident.
        let from = point.stream.pointee.next_in.map { UnsafeRawPointer($0) } ?? input.baseAddress!
        if let to = stream.pointee.next_in { file?.release(UnsafeRawBufferPointer(start: from, count: UnsafeRawPointer(to) - from)) }
    }

    /// Inflates exactly `out.count` bytes, handing zlib input and output room at most `piece`
    /// bytes at a time (its counts are 32-bit).
    private func inflate(_ stream: UnsafeMutablePointer<z_stream>, into out: UnsafeMutableRawBufferPointer) throws {
        var given = 0
        stream.pointee.avail_out = 0
        while given < out.count || stream.pointee.avail_out > 0 {
            if stream.pointee.avail_out == 0 {
                let n = min(piece, out.count - given)
                stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self) + given
                stream.pointee.avail_out = uInt(n)
                given += n
            }
            refill(stream)
            let before = stream.pointee.total_out
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let filled = stream.pointee.avail_out == 0 && given == out.count
            guard status == Z_OK || (status == Z_STREAM_END && filled) || (status == Z_BUF_ERROR && stream.pointee.total_out != before) else {
                if status == Z_MEM_ERROR { throw QConvertError("out of memory inflating") }
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "data ends early"
                throw QConvertError("corrupt deflate data (\(reason))")
            }
        }
    }

    /// Hands zlib the next piece of input once it has used the last.
    private func refill(_ stream: UnsafeMutablePointer<z_stream>) {
        guard stream.pointee.avail_in == 0 else { return }
        let base = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        let used = stream.pointee.next_in.map { UnsafePointer($0) - base } ?? 0
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base + used)
        stream.pointee.avail_in = uInt(min(piece, input.count - used))
    }

    private static func start() throws -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard inflateInit2_(stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            throw QConvertError("cannot start zlib")
        }
        return stream
    }

    private static func copy(_ source: UnsafeMutablePointer<z_stream>) throws -> UnsafeMutablePointer<z_stream> {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard inflateCopy(stream, source) == Z_OK else {
            stream.deallocate()
            throw QConvertError("out of memory copying zlib's state")
        }
        return stream
    }

    private static func end(_ stream: UnsafeMutablePointer<z_stream>) {
        inflateEnd(stream)
        stream.deallocate()
    }
}
