import QConvertIR

/// A folder of `.npz` archives, one sample each, arrays keyed by input name. A single-input model
/// also takes archives holding exactly one array under any name (`np.savez(f, a)` calls it `arr_0`).
struct NpzFolderLayout: SampleLayout {
    let directory: String
    let files: [String]
    let inputs: [ValueInfo]

    /// Opens every archive (its central directory only) so a corrupt or mis-keyed file fails before
    /// calibration starts.
    func entries(limit: Int?) throws -> [SampleEntry] {
        try files.prefix(limit ?? Int.max).map { file in
            let path = directory + "/" + file
            _ = try arrayNames(Npz(path: path), path: path)
            return SampleEntry(path: path, part: nil)
        }
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
        return try arrayNames(archive, path: entry.path).map { input, array in
            LoadedInput(name: input, tensor: try archive.array(named: array), file: entry.path)
        }
    }
}
