import QConvertIR

/// The shapes of a numpy-style matrix product Y[..., i, j] = Σ_k A[..., i, k] · B[..., k, j], shared by
/// MatMul and the integer products (MatMulInteger, QLinearMatMul): a 1-D A is a row vector and a 1-D B
/// a column vector (their unit axis is dropped from Y), and the leading (batch) axes broadcast.
struct MatMulShape {
    let m: Int
    let k: Int
    let n: Int
    /// Batch axes of A and of B (without the matrix axes), and their broadcast.
    let aBatch: [Int]
    let bBatch: [Int]
    let batch: [Int]
    /// Y's shape.
    let output: [Int]

    init(a: [Int], b: [Int]) throws {
        guard !a.isEmpty, !b.isEmpty else { throw QConvertError("inputs A \(a) and B \(b) must not be scalars") }
        let aShape = a.count == 1 ? [1, a[0]] : a
        let bShape = b.count == 1 ? [b[0], 1] : b
        (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
        guard bShape[bShape.count - 2] == k else { throw QConvertError("A \(a) and B \(b) do not multiply: \(k) vs \(bShape[bShape.count - 2])") }
        aBatch = Array(aShape.dropLast(2))
        bBatch = Array(bShape.dropLast(2))
        batch = try Self.broadcast(aBatch, bBatch, a: a, b: b)
        var output = batch + [m, n]
        if b.count == 1 { output.removeLast() }
        if a.count == 1 { output.remove(at: output.count - (b.count == 1 ? 1 : 2)) }
        self.output = output
    }

    /// Number of matrices in Y.
    var products: Int { batch.reduce(1, *) }

    /// Whether B is one matrix, so that A's batch can be folded into its rows (one product).
    var foldsBatchIntoRows: Bool { bBatch.reduce(1, *) == 1 }

    /// For each of Y's matrices (row-major over `batch`), the index of A's and of B's matrix.
    var aMatrices: [Int] { Self.batchOffsets(aBatch, in: batch) }
    var bMatrices: [Int] { Self.batchOffsets(bBatch, in: batch) }

    /// The broadcast of two batch shapes (numpy rules: align right, sizes equal or 1).
    static func broadcast(_ x: [Int], _ y: [Int], a: [Int], b: [Int]) throws -> [Int] {
        let rank = max(x.count, y.count)
        let x = Array(repeating: 1, count: rank - x.count) + x, y = Array(repeating: 1, count: rank - y.count) + y
        return try (0..<rank).map { axis in
            guard x[axis] == y[axis] || x[axis] == 1 || y[axis] == 1 else {
                throw QConvertError("batch dimensions of A \(a) and B \(b) do not broadcast")
            }
            return x[axis] == 1 ? y[axis] : x[axis]
        }
    }

    /// For each batch index of `batch` (row-major), the index of the matrix of an operand with batch
    /// shape `own` that broadcasts to it.
    static func batchOffsets(_ own: [Int], in batch: [Int]) -> [Int] {
        let own = Array(repeating: 1, count: batch.count - own.count) + own
        var offsets = [0]
        for axis in 0..<batch.count {
            let stride = own[(axis + 1)...].reduce(1, *)
            offsets = offsets.flatMap { base in (0..<batch[axis]).map { base + (own[axis] == 1 ? 0 : $0 * stride) } }
        }
        return offsets
    }
}
