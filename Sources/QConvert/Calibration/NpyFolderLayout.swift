import QConvertIR

/// A folder of `.npy` files feeding a single-input model: one sample per file, or, when a file's
/// leading dimension is `k` times the model's fixed batch (k > 1), `k` samples (`BatchSplit`).
struct NpyFolderLayout: SampleLayout {
    let directory: String
    let files: [String]
    let input: ValueInfo

    func entries(limit: Int?) throws -> [SampleEntry] {
        var entries: [SampleEntry] = []
        let wanted = limit ?? Int.max
        for file in files where entries.count < wanted {
            let path = directory + "/" + file
            // Reads only the header; the data stays mapped, untouched.
            let parts = try BatchSplit.parts(of: Npy.map(path: path).shape, for: input, path: path)
            for part in 0..<parts where entries.count < wanted {
                entries.append(SampleEntry(path: path, part: parts > 1 ? part : nil))
            }
        }
        return entries
    }

    func load(_ entry: SampleEntry) throws -> [LoadedInput] {
        let whole = try Npy.map(path: entry.path)
        let tensor = try entry.part.map { try BatchSplit.part($0, of: whole, for: input, path: entry.path) } ?? whole.tensor()
        return [LoadedInput(name: input.name, tensor: tensor, file: entry.source)]
    }
}
