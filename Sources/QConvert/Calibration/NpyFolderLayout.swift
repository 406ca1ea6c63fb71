import QConvertIR

/// A folder of `.npy` files feeding a single-input model: one sample per file, or, when a file's
/// leading dimension is `k` times the model's fixed batch `b` (k > 1), `k` samples: batches
/// `[j b, (j+1) b)`, viewed in place in the memory-mapped file.
struct NpyFolderLayout: SampleLayout {
    let directory: String
    let files: [String]
    let input: ValueInfo

    /// The model's fixed batch size: a known first dimension, if the input declares one.
    var batch: Int? {
        guard let first = input.tensorType?.shape?.first, case .value(let b) = first, b > 0 else { return nil }
        return b
    }

    func entries(limit: Int?) throws -> [SampleEntry] {
        var entries: [SampleEntry] = []
        let wanted = limit ?? Int.max
        for file in files where entries.count < wanted {
            let path = directory + "/" + file
            let parts = try self.parts(of: Npy.read(path: path), path: path)
            for part in 0..<parts where entries.count < wanted {
                entries.append(SampleEntry(path: path, part: parts > 1 ? part : nil))
            }
        }
        return entries
    }

    /// How many samples a file holds (reads only its header; the data stays mapped, untouched).
    func parts(of tensor: Tensor, path: String) throws -> Int {
        guard let batch, let declared = input.tensorType?.shape, declared.count == tensor.rank,
              let leading = tensor.shape.first, leading > batch
        else { return 1 }
        guard leading % batch == 0 else {
            throw QConvertError("\(path): leading dimension \(leading) is not a multiple of the model's batch \(batch) (input '\(input.name)' has shape [\(declared.map(\.description).joined(separator: ", "))])")
        }
        return leading / batch
    }

    func load(_ entry: SampleEntry) throws -> [LoadedInput] {
        let whole = try Npy.read(path: entry.path)
        guard let part = entry.part, let batch else {
            return [LoadedInput(name: input.name, tensor: whole, file: entry.source)]
        }
        guard let leading = whole.shape.first, leading % batch == 0, leading >= (part + 1) * batch else {
            throw QConvertError("\(entry.path): changed while calibrating (its leading dimension is now \(whole.shape.first ?? 0))")
        }
        let shape = [batch] + whole.shape.dropFirst()
        let length = whole.storage.bytes.count / (whole.shape[0] / batch)
        let bytes = UnsafeRawBufferPointer(rebasing: whole.storage.bytes[(part * length)..<((part + 1) * length)])
        let storage = TensorStorage(borrowing: bytes, owner: whole.storage, alignment: max(1, whole.dataType.bitWidth / 8))
        return [LoadedInput(name: input.name, tensor: Tensor(dataType: whole.dataType, shape: shape, storage: storage), file: entry.source)]
    }
}
