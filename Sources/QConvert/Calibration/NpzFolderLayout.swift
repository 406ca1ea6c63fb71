import Foundation
import QConvertIR

/// A folder of `.npz` archives, arrays keyed by input name: one sample each, or k samples when every
/// array's leading dimension is k times its input's fixed batch (k > 1, `BatchSplit`). A single-input
/// model also takes archives holding exactly one array under any name (`np.savez(f, a)` calls it
/// `arr_0`).
struct NpzFolderLayout: SampleLayout {
    let directory: String
    let files: [String]
    let inputs: [ValueInfo]
    let lastArchive = LastDecodedArchive()

    /// Opens every archive, reads its arrays' shapes and checks its members' CRC-32s, so a corrupt,
    /// mis-keyed or unevenly batched file fails before calibration starts.
    func entries(limit: Int?) throws -> [SampleEntry] {
        var entries: [SampleEntry] = []
        let wanted = limit ?? Int.max
        for file in files where entries.count < wanted {
            let path = directory + "/" + file
            let parts = try self.parts(of: arrays(path, verify: true), path: path)
            for part in 0..<parts where entries.count < wanted {
                entries.append(SampleEntry(path: path, part: parts > 1 ? part : nil))
            }
        }
        return entries
    }

    /// The samples an archive holds: the same count k for every input, else an error naming two
    /// arrays that disagree.
    func parts(of arrays: [String: NpyArray], path: String) throws -> Int {
        let counts = try inputs.map { input in (input.name, try BatchSplit.parts(of: arrays[input.name]!.shape, for: input, path: path)) }
        guard let most = counts.max(by: { $0.1 < $1.1 }), let fewest = counts.min(by: { $0.1 < $1.1 }), most.1 != fewest.1 else { return counts.first?.1 ?? 1 }
        // Only a multi-input model gets here, and its arrays are named after its inputs.
        throw QConvertError("\(path): array '\(most.0)' holds \(most.1) batches of input '\(most.0)' but '\(fewest.0)' holds \(fewest.1) of '\(fewest.0)'; give every input the same number")
    }

    /// Input name -> array name in the archive.
    func arrayNames(_ archive: Npz, path: String) throws -> [String: String] {
        let names = archive.names
        if inputs.count == 1 && names.count == 1 { return [inputs[0].name: names[0]] }
        let known = Set(inputs.map(\.name))
        if let extra = names.first(where: { !known.contains($0) }) {
            throw QConvertError("\(path): array '\(extra)' is not an input of the model (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
        }
        if let missing = inputs.first(where: { !names.contains($0.name) }) {
            throw QConvertError("\(path): no array for input '\(missing.name)' (arrays: \(names.joined(separator: ", ")))")
        }
        return Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, $0.name) })
    }

    /// A whole archive's arrays are read whole (a deflated one inflated in one pass); a split
    /// archive's are located and only the sample's batch is read.
    func load(_ entry: SampleEntry) throws -> [LoadedInput] {
        guard let part = entry.part else {
            let archive = try Npz(path: entry.path)
            let names = try arrayNames(archive, path: entry.path)
            return try inputs.map { LoadedInput(name: $0.name, tensor: try archive.array(named: names[$0.name]!), file: entry.source) }
        }
        let arrays = try arrays(entry.path, verify: false)
        return try inputs.map { input in
            LoadedInput(name: input.name, tensor: try BatchSplit.part(part, of: arrays[input.name]!, for: input, path: entry.path), file: entry.source)
        }
    }

    /// The archive's array for each input, located. A stored member stays in a memory map of its
    /// own, so a sample reads (and keeps resident) only its batch; it is checked against its CRC-32
    /// with `verify`, a piece at a time, once when the folder is listed. A deflated member is
    /// indexed (inflated once, and checked) for all the samples cut from the archive, then each
    /// sample inflates its batch alone.
    private func arrays(_ path: String, verify: Bool) throws -> [String: NpyArray] {
        let archive = try Npz(path: path)
        let names = try arrayNames(archive, path: path)
        var stored: [String: NpyArray] = [:]
        for input in inputs where try archive.isStored(names[input.name]!) {
            stored[input.name] = try archive.locate(named: names[input.name]!, verify: verify)
        }
        let deflated = inputs.filter { stored[$0.name] == nil }
        let members = try deflated.map { try archive.member(named: names[$0.name]!) }
        let indexed = try lastArchive.arrays(of: path, members: members) {
            try Dictionary(uniqueKeysWithValues: deflated.map { ($0.name, try archive.locate(named: names[$0.name]!, verify: true)) })
        }
        return stored.merging(indexed) { kept, _ in kept }
    }
}

/// The deflated arrays of the archive indexed last. Why: a split archive's k samples each inflated
/// it whole, so reading 4,000 samples from one `np.savez_compressed` file took 132 s against 0.3 s
/// for the same `.npy`, quadratic in k. Samples are read in order, so one archive kept is enough;
/// the lock serves calibration's threads. The directory entries they were indexed from are kept
/// too: an archive rewritten since (the index would read the old bytes, or past the end of a
/// shorter file) is an error, not read.
final class LastDecodedArchive: @unchecked Sendable {
    private let lock = NSLock()
    private var path: String?
    private var members: [ZipArchive.Member] = []
    private var arrays: [String: NpyArray] = [:]

    func arrays(of path: String, members: [ZipArchive.Member], decode: () throws -> [String: NpyArray]) throws -> [String: NpyArray] {
        lock.lock()
        defer { lock.unlock() }
        if path == self.path {
            guard members == self.members else {
                throw QConvertError("\(path): changed while calibrating (its deflated arrays are not those it held when the folder was listed)")
            }
            return arrays
        }
        self.path = nil
        arrays = try decode()
        (self.path, self.members) = (path, members)
        return arrays
    }
}
