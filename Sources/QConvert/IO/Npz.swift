import QConvertIR

/// A numpy `.npz` file: a zip archive of `.npy` arrays, one per key (`np.savez(path, x=a)` stores
/// `a` as member `x.npy`). Calibration samples for multi-input models come keyed by input name this
/// way.
///
/// Arrays are decoded on demand: stored members borrow the memory map, deflated ones
/// (`np.savez_compressed`) are read through an index of their deflate stream. Errors name the file
/// and the member.
public struct Npz {
    public let path: String
    private let archive: ZipArchive

    /// Opens the archive and reads its member list; every member must be a `.npy`.
    public init(path: String) throws {
        self.path = path
        archive = try ZipArchive(path: path)
        for member in archive.members where !member.name.hasSuffix(".npy") {
            throw QConvertError("\(path): member '\(member.name)' is not a .npy array, so this is not an .npz file")
        }
        // A name stored twice (zip allows it) would make one of the two arrays unreachable.
        var seen = Set<String>()
        for member in archive.members where !seen.insert(member.name).inserted {
            throw QConvertError("\(path): member '\(member.name)' is stored twice, so which array it names is ambiguous")
        }
    }

    /// Array names (member names without `.npy`), in archive order.
    public var names: [String] { archive.members.map { String($0.name.dropLast(4)) } }

    /// The array stored under `name`, read whole and checked against its CRC-32 (a deflated member
    /// inflated in one pass, without an index).
    public func array(named name: String) throws -> Tensor {
        let member = try self.member(named: name)
        return try archive.naming(member) {
            guard member.isDeflated else { return try locate(named: name, verify: true).tensor() }
            let storage = try archive.inflated(member)
            return try NpyArray(storage.bytes, owner: storage).tensor()
        }
    }

    /// The array stored under `name`, its header read and its data left where it is. A stored
    /// member's stays in the archive's memory map, checked against its CRC-32 (a piece at a time,
    /// none of it kept resident) only with `verify`: a split archive is checked once, not for each
    /// sample cut from it. A deflated member is inflated once to index it (`DeflateIndex`), which
    /// checks it, and then read a range at a time.
    public func locate(named name: String, verify: Bool) throws -> NpyArray {
        let member = try self.member(named: name)
        return try archive.naming(member) {
            guard let stored = try archive.storedBytes(of: member) else { return try NpyArray(archive.index(of: member)) }
            if verify { try archive.verify(storedMember: member) }
            return try NpyArray(stored, owner: archive)
        }
    }

    /// Whether `name` is stored rather than deflated (and so can be read a sample at a time).
    public func isStored(_ name: String) throws -> Bool {
        try !member(named: name).isDeflated
    }

    /// The directory entry of the array `name`.
    func member(named name: String) throws -> ZipArchive.Member {
        guard let member = archive.members.first(where: { $0.name == name + ".npy" }) else {
            throw QConvertError("\(path): no array named '\(name)' (has \(names.joined(separator: ", ")))")
        }
        return member
    }
}
