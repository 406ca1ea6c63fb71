import QConvertIR

/// A folder of `.npz` archives, arrays keyed by input name: one sample each, or k samples when every
/// array's leading dimension is k times its input's fixed batch (k > 1, `BatchSplit`). A single-input
/// model also takes archives holding exactly one array under any name (`np.savez(f, a)` calls it
/// `arr_0`).
struct NpzFolderLayout: SampleLayout {
    let directory: String
    let files: [String]
    let inputs: [ValueInfo]

    /// Opens every archive and decodes its arrays' shapes, so a corrupt, mis-keyed or unevenly
    /// batched file fails before calibration starts.
    func entries(limit: Int?) throws -> [SampleEntry] {
        var entries: [SampleEntry] = []
        let wanted = limit ?? Int.max
        for file in files where entries.count < wanted {
            let path = directory + "/" + file
            let parts = try self.parts(of: Npz(path: path), path: path)
            for part in 0..<parts where entries.count < wanted {
                entries.append(SampleEntry(path: path, part: parts > 1 ? part : nil))
            }
        }
        return entries
    }

    /// The samples an archive holds: the same count k for every input, else an error naming two
    /// arrays that disagree.
    func parts(of archive: Npz, path: String) throws -> Int {
        let names = try arrayNames(archive, path: path)
        let counts = try inputs.map { input in (input.name, try BatchSplit.parts(of: archive.array(named: names[input.name]!), for: input, path: path)) }
        guard let most = counts.max(by: { $0.1 < $1.1 }), let fewest = counts.min(by: { $0.1 < $1.1 }), most.1 != fewest.1 else { return counts.first?.1 ?? 1 }
        throw QConvertError("\(path): array '\(names[most.0]!)' holds \(most.1) batches of input '\(most.0)' but '\(names[fewest.0]!)' holds \(fewest.1) of '\(fewest.0)'; give every input the same number")
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

    func load(_ entry: SampleEntry) throws -> [LoadedInput] {
        let archive = try Npz(path: entry.path)
        let names = try arrayNames(archive, path: entry.path)
        return try inputs.map { input in
            let whole = try archive.array(named: names[input.name]!)
            let tensor = try entry.part.map { try BatchSplit.part($0, of: whole, for: input, path: entry.path) } ?? whole
            return LoadedInput(name: input.name, tensor: tensor, file: entry.source)
        }
    }
}
