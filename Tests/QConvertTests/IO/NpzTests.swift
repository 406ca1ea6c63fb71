@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Reading numpy's own .npz files (Fixtures/calib, written by np.savez and np.savez_compressed in
/// Scripts/make-calib-fixtures.py), and one-line errors for archives qconvert does not read.
@Suite struct NpzTests {
    static let stored = Fixtures.root + "/calib/two_inputs/npz_stored/0001.npz"
    static let deflated = Fixtures.root + "/calib/two_inputs/npz_deflated/0001.npz"
    static let zip64 = Fixtures.root + "/calib/two_inputs/npz_zip64/0001.npz"
    let temporary = TemporaryDirectories()

    /// Sample 1: x = (arange(4) - 1.5) * 2, y = arange(6).reshape(1, 2, 3) / 4 - 1.
    @Test(arguments: [stored, deflated])
    func readsNumpyArchives(path: String) throws {
        let npz = try Npz(path: path)
        #expect(npz.names == ["x", "y"])
        let x = try npz.array(named: "x"), y = try npz.array(named: "y")
        #expect(x.shape == [1, 4] && x.scalars(of: Float.self) == [-3, -1, 1, 3])
        #expect(y.shape == [1, 2, 3] && y.scalars(of: Float.self) == [-1, -0.75, -0.5, -0.25, 0, 0.25])
    }

    /// Copies `source` with `patch` applied to its bytes and returns the error reading array x.
    func error(patching source: String, _ patch: (inout [UInt8]) -> Void) -> String {
        var bytes = FileChecks.read(source)!
        patch(&bytes)
        let path = temporary.make() + "/bad.npz"
        FileChecks.write(bytes, to: path)
        do {
            _ = try Npz(path: path).array(named: "x")
            return "no error"
        } catch {
            let text = (error as? QConvertError)?.description ?? "\(error)"
            return text.hasPrefix(path + ": ") && !text.contains("\n") ? String(text.dropFirst(path.count + 2)) : "badly formed: \(text)"
        }
    }

    static func offset(of signature: [UInt8], in bytes: [UInt8]) -> Int {
        (0...(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == signature }!
    }

    static let centralEntry: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    static let endRecord: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    @Test func corruptStoredDataFailsTheChecksum() {
        // x.npy's data ends just before y's local header; flip its last byte.
        let message = error(patching: Self.stored) { bytes in
            let second = (1..<bytes.count - 4).first { Array(bytes[$0..<($0 + 4)]) == [0x50, 0x4B, 0x03, 0x04] }!
            bytes[second - 1] ^= 0xFF
        }
        #expect(message == "member 'x.npy': CRC-32 mismatch (corrupt archive)")
    }

    /// Both members renamed x.npy (in their local headers and the central directory): zip allows
    /// it, but one of the two arrays could never be read.
    @Test func memberStoredTwiceIsAnError() {
        let message = error(patching: Self.stored) { bytes in
            let name = Array("y.npy".utf8)
            for k in 0...(bytes.count - name.count) where Array(bytes[k..<(k + name.count)]) == name { bytes[k] = UInt8(ascii: "x") }
        }
        #expect(message == "member 'x.npy' is stored twice, so which array it names is ambiguous")
    }

    @Test func corruptDeflateStream() {
        let message = error(patching: Self.deflated) { bytes in
            for k in 60..<70 { bytes[k] = 0xFF }
        }
        #expect(message.hasPrefix("member 'x.npy': corrupt deflate data"))
    }

    @Test func truncatedArchive() {
        let message = error(patching: Self.stored) { bytes in bytes.removeLast(30) }
        #expect(message == "not a zip archive (no end-of-central-directory record)")
    }

    /// A deflated member claiming 4 GB: refused from its compressed size before anything is allocated.
    @Test func uncompressedSizeBeyondWhatDeflateCanProduce() {
        let message = error(patching: Self.deflated) { bytes in
            let at = Self.offset(of: Self.centralEntry, in: bytes)
            for (k, byte) in [0xF0, 0xFF, 0xFF, 0xFF].enumerated() { bytes[at + 24 + k] = UInt8(byte) }
        }
        #expect(message.hasPrefix("member 'x.npy': declares 4294967280 bytes inflated from "))
        #expect(message.hasSuffix(", more than deflate can produce (corrupt archive)"))
    }

    /// What numpy writes past 2 GiB (sizes in zip64 fields, a zip64 end record), made small.
    @Test func readsZip64Archives() throws {
        let npz = try Npz(path: Self.zip64)
        let x = try npz.array(named: "x"), y = try npz.array(named: "y")
        #expect(x.shape == [1, 4] && x.scalars(of: Float.self) == [-3, -1, 1, 3])
        #expect(y.shape == [1, 2, 3] && y.scalars(of: Float.self) == [-1, -0.75, -0.5, -0.25, 0, 0.25])
    }

    /// zlib takes sizes as 32 bits, so members past 4 GiB go to it in pieces (a single call trapped),
    /// and a deflated member is read a range at a time from the states its index kept: with 7-byte
    /// pieces and a state every 5 bytes, every range reads as the whole member's bytes have it,
    /// from a copy of the compressed bytes and from the archive's own map (whose pages each read
    /// releases); a whole read in the same pass as the build gives the same bytes.
    @Test(arguments: [false, true])
    func deflateIndexReadsRangesInPieces(mapped: Bool) throws {
        let archive = try ZipArchive(path: Self.deflated)
        let member = try #require(archive.members.first)
        let file = try MappedFile(path: Self.deflated)
        let local = file.bytes
        let start = member.localHeaderOffset + 30 + Int(local.u16(member.localHeaderOffset + 26)) + Int(local.u16(member.localHeaderOffset + 28))
        let copy = Array(local[start..<(start + member.compressedSize)])
        let stored = FileChecks.read(Self.stored)!
        let storedStart = 30 + Int(stored[26]) + Int(stored[28])   // x.npy is the first member in both
        let whole = Array(stored[storedStart..<(storedStart + member.uncompressedSize)])
        try copy.withUnsafeBytes { copied in
            let input = mapped ? UnsafeRawBufferPointer(rebasing: local[start..<(start + member.compressedSize)]) : copied
            let index = try DeflateIndex(compressed: input, in: mapped ? file : nil, size: member.uncompressedSize, crc: member.crc,
                                         spacing: 5, piece: 7)
            for range in [0..<whole.count, 0..<1, 3..<17, 5..<10, (whole.count - 9)..<whole.count, 4..<4, 20..<30] {
                var bytes = [UInt8](repeating: 0, count: range.count)
                try bytes.withUnsafeMutableBytes { try index.read(range, into: $0) }
                #expect(bytes == Array(whole[range]), "range \(range)")
            }
            var inOnePass = [UInt8](repeating: 0, count: whole.count)
            try inOnePass.withUnsafeMutableBytes {
                _ = try DeflateIndex(compressed: input, in: nil, size: whole.count, crc: member.crc, spacing: whole.count, piece: 7, output: $0)
            }
            #expect(inOnePass == whole)
            #expect(throws: QConvertError("CRC-32 mismatch (corrupt archive)")) {
                _ = try DeflateIndex(compressed: input, in: nil, size: member.uncompressedSize, crc: member.crc ^ 1, piece: 7)
            }
            #expect(throws: QConvertError("corrupt deflate data (longer than declared)")) {
                _ = try DeflateIndex(compressed: input, in: nil, size: member.uncompressedSize - 1, crc: member.crc)
            }
        }
    }

    /// A size marked as held in a zip64 field with no such field.
    @Test func zip64SizeWithoutItsField() {
        let message = error(patching: Self.stored) { bytes in
            let at = Self.offset(of: Self.centralEntry, in: bytes)
            for k in 20..<24 { bytes[at + k] = 0xFF }
        }
        #expect(message == "member 'x.npy': sizes deferred to a zip64 field that is missing (corrupt archive)")
    }

    /// The zip64 end record's locator pointing past where the record could be.
    @Test func zip64EndRecordMissing() {
        let message = error(patching: Self.zip64) { bytes in
            let locator = Self.offset(of: [0x50, 0x4B, 0x06, 0x07], in: bytes)
            bytes[locator + 8] = 0xFF
        }
        #expect(message == "zip64 end record missing (corrupt archive)")
    }

    @Test func encryptionIsRejected() {
        let message = error(patching: Self.stored) { bytes in
            bytes[Self.offset(of: Self.centralEntry, in: bytes) + 8] |= 1
        }
        #expect(message == "member 'x.npy': encrypted archives are not supported")
    }

    @Test func multiDiskIsRejected() {
        let message = error(patching: Self.stored) { bytes in
            bytes[Self.offset(of: Self.endRecord, in: bytes) + 4] = 1
        }
        #expect(message == "multi-disk (split) zip archives are not supported")
    }

    @Test func otherCompressionIsRejected() {
        let message = error(patching: Self.stored) { bytes in
            bytes[Self.offset(of: Self.centralEntry, in: bytes) + 10] = 12
        }
        #expect(message == "member 'x.npy': compression method 12 is not supported (stored and deflate are)")
    }

    @Test func missingArray() throws {
        #expect(throws: QConvertError("\(Self.stored): no array named 'z' (has x, y)")) {
            _ = try Npz(path: Self.stored).array(named: "z")
        }
    }
}
