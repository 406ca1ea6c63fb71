import QConvertIR

/// A numpy `.npz` file: a zip archive of `.npy` arrays, one per key (`np.savez(path, x=a)` stores
/// `a` as member `x.npy`). Calibration samples for multi-input models come keyed by input name this
/// way.
///
/// Arrays are decoded on demand: stored members borrow the memory map, deflated ones
/// (`np.savez_compressed`) are inflated into one buffer each. Errors name the file and the member.
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

    /// The array stored under `name`.
    public func array(named name: String) throws -> Tensor {
        guard let member = archive.members.first(where: { $0.name == name + ".npy" }) else {
            throw QConvertError("\(path): no array named '\(name)' (has \(names.joined(separator: ", ")))")
        }
        let contents = try archive.contents(of: member)
        do {
            return try Npy.decode(contents.bytes, owner: contents.owner)
        } catch let error as QConvertError {
            throw error.context("\(path): member '\(member.name)'")
        }
    }
}
