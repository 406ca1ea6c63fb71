import QConvertIR

/// A folder of calibration samples (`--calib DIR`), read lazily one sample at a time.
///
/// Three layouts, recognised from the folder's contents:
/// - `.npy` files, for single-input models: one sample per file, except that a file whose leading
///   dimension is a multiple larger than the model's fixed batch is split into batch-sized samples;
/// - `.npz` files (numpy `savez`/`savez_compressed`), arrays keyed by input name (a single-input
///   model also takes an archive holding one array under any name): one sample per file, or k when
///   every array holds k batches of its input;
/// - ONNX Runtime's test-data layout: `test_data_set_<k>/input_<j>.pb` TensorProto files, one
///   sample per folder, tensors matched by name (or by position when unnamed).
/// Files and folders are taken in bytewise-sorted name order; hidden entries are skipped, anything
/// else is an error. Opening reads only headers and directories; `sample(_:)` loads one sample and
/// checks it against the model's runtime inputs (element type, rank, fixed dimensions) and for
/// NaN/infinity, failing with one line naming the file and input.
///
/// Why lazy: memory must not grow with the number of samples; a sample's arrays are memory-mapped
/// (or inflated) when it is loaded and released when the caller drops them.
public struct CalibrationDataset: Sendable {
    /// Which of the three folder layouts the samples are in.
    public enum Layout: String, Sendable {
        case npy, npz, onnxTestData = "test_data_set"
    }

    public let directory: String
    public let layout: Layout
    public let inputs: [ValueInfo]
    private(set) var entries: [SampleEntry]
    private let reader: any SampleLayout

    /// Lists the samples in `directory` for a model with runtime `inputs`, at most `limit`.
    public init(directory: String, inputs: [ValueInfo], limit: Int? = nil) throws {
        var folder = directory
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        self.directory = folder
        self.inputs = inputs
        let names = try Directory.entries(folder).filter { !$0.hasPrefix(".") }
        let usage = "expected .npy or .npz files, or test_data_set_* folders"
        guard !names.isEmpty else { throw QConvertError("\(folder): no samples (\(usage))") }
        let folders = names.filter { Directory.exists(folder + "/" + $0) }
        if !folders.isEmpty {
            // Name the odd one out: a folder not named test_data_set_* (a stray subfolder among .npy
            // files), else a file among test_data_set_* folders.
            let isFolder = Set(folders)
            if let stray = folders.first(where: { !$0.hasPrefix("test_data_set_") }) ?? names.first(where: { !isFolder.contains($0) }) {
                throw QConvertError("\(folder)/\(stray): not a calibration sample (\(usage), not both)")
            }
            layout = .onnxTestData
            reader = ONNXTestDataLayout(directory: folder, sets: names, inputs: inputs)
        } else {
            let npy = names.filter { $0.hasSuffix(".npy") }, npz = names.filter { $0.hasSuffix(".npz") }
            if let other = names.first(where: { !$0.hasSuffix(".npy") && !$0.hasSuffix(".npz") }) {
                throw QConvertError("\(folder)/\(other): not a calibration sample (\(usage))")
            }
            if !npy.isEmpty && !npz.isEmpty {
                throw QConvertError("\(folder): mixes .npy and .npz files; use one layout")
            }
            if npy.isEmpty {
                layout = .npz
                reader = NpzFolderLayout(directory: folder, files: npz, inputs: inputs)
            } else {
                guard inputs.count == 1 else {
                    throw QConvertError("\(folder): .npy samples feed single-input models; this model has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))): use .npz files keyed by input name, or test_data_set_* folders")
                }
                layout = .npy
                reader = NpyFolderLayout(directory: folder, files: npy, input: inputs[0])
            }
        }
        entries = try reader.entries(limit: limit)
    }

    /// The samples at `range` (e.g. to hold the last ones out for evaluation).
    public func slice(_ range: Range<Int>) -> CalibrationDataset {
        var copy = self
        copy.entries = Array(entries[range])
        return copy
    }

    /// Number of samples (after splitting and the limit).
    public var count: Int { entries.count }

    /// Where each sample comes from, in order: a file, `file[k]` for the k-th batch of a split
    /// file, or a test_data_set folder.
    public var sources: [String] { entries.map(\.source) }

    /// Loads sample `index` and checks it against the model's inputs.
    public func sample(_ index: Int) throws -> [String: Tensor] {
        let loaded = try reader.load(entries[index])
        var feeds: [String: Tensor] = [:]
        for input in inputs {
            guard let item = loaded.first(where: { $0.name == input.name }) else {
                throw QConvertError("\(entries[index].source): no data for input '\(input.name)'")
            }
            try SampleValidation.check(item.tensor, against: input, file: item.file)
            feeds[input.name] = item.tensor
        }
        return feeds
    }

    /// Loads and checks every sample, one at a time (none is kept), so a bad file is found before
    /// any work rather than when that sample is first used.
    public func validate() throws {
        for index in entries.indices { _ = try sample(index) }
    }

    /// Loads sample `index` and runs `body` on it, adding the sample to any error `body` throws: a
    /// sample that passes the input checks can still fail inside the model (two inputs whose
    /// symbolic dims disagree reach an Expand), and the node alone would not say which file it was.
    /// The sample comes last, "(sample FILE)": the fault may be the model's (an op qconvert lacks),
    /// so the message is not put under the file's name as the sample's own errors are.
    public func withSample<T>(_ index: Int, _ body: ([String: Tensor]) throws -> T) throws -> T {
        let feeds = try sample(index)
        do {
            return try body(feeds)
        } catch let error as QConvertError {
            throw QConvertError("\(error.description) (sample \(entries[index].source))")
        }
    }
}

/// One sample's place in the folder: a file or folder, and for split `.npy`/`.npz` files which batch.
struct SampleEntry: Sendable {
    let path: String
    let part: Int?

    var source: String { part.map { "\(path)[\($0)]" } ?? path }
}

/// A tensor a sample provides for an input, and the file (or `file[k]`) it came from.
struct LoadedInput {
    let name: String
    let tensor: Tensor
    let file: String
}

/// What each folder layout provides: its samples in order, and loading one.
protocol SampleLayout: Sendable {
    func entries(limit: Int?) throws -> [SampleEntry]
    func load(_ entry: SampleEntry) throws -> [LoadedInput]
}
