import QConvertIR

/// Samples stored several to an array: an array whose leading dimension is k times a model input's
/// fixed batch b (k > 1) holds k samples, batches [j b, (j + 1) b), each read alone (batched `.npy`
/// files, and the arrays of `.npz` archives).
enum BatchSplit {
    /// The input's fixed batch: a known positive first dimension, if it declares one.
    static func batch(of input: ValueInfo) -> Int? {
        guard let first = input.tensorType?.shape?.first, case .value(let b) = first, b > 0 else { return nil }
        return b
    }

    /// How many samples an array of `shape` holds for `input`: 1 unless the input has a fixed batch,
    /// the array the input's rank and a larger leading dimension, which must then be a multiple of the batch.
    static func parts(of shape: [Int], for input: ValueInfo, path: String) throws -> Int {
        guard let batch = batch(of: input), let declared = input.tensorType?.shape, declared.count == shape.count,
              let leading = shape.first, leading > batch
        else { return 1 }
        guard leading % batch == 0 else {
            throw QConvertError("\(path): leading dimension \(leading) is not a multiple of the model's batch \(batch) (input '\(input.name)' has shape [\(declared.map(\.description).joined(separator: ", "))])")
        }
        return leading / batch
    }

    /// Sample `part` of `whole`, which `parts(of:for:path:)` found to hold several for `input`: only
    /// that batch's bytes are read.
    static func part(_ part: Int, of whole: NpyArray, for input: ValueInfo, path: String) throws -> Tensor {
        guard let batch = batch(of: input), let leading = whole.shape.first, leading % batch == 0, leading >= (part + 1) * batch else {
            throw QConvertError("\(path): changed while calibrating (its leading dimension is now \(whole.shape.first ?? 0))")
        }
        return try whole.rows((part * batch)..<((part + 1) * batch))
    }
}
