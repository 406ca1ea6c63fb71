/// A walk over an output shape in rows of its innermost dimension, tracking where each of several
/// strided inputs is read: output element `(i0, ..., ik)` reads input `n` at `Σ i_d * strides[n][d]`.
///
/// Why: broadcasting (zero strides), Transpose (permuted strides), Slice (stepped strides), Expand and
/// Tile all read inputs this way. Dims of size 1 are dropped and neighbouring dims every input reads
/// contiguously (or not at all) are merged, so most walks become a few long rows the loops specialise.
struct StridedRows {
    /// The merged output dims (at least one).
    let dims: [Int]
    /// For each input, its element stride along each of `dims`.
    let strides: [[Int]]
    /// Number of output elements.
    let count: Int

    /// The walk over `shape` with each input's element strides along it.
    init(shape: [Int], strides full: [[Int]]) {
        var dims: [Int] = []
        var merged = [[Int]](repeating: [], count: full.count)
        for axis in shape.indices where shape[axis] != 1 {
            let contiguous = !dims.isEmpty && full.indices.allSatisfy { merged[$0].last! == full[$0][axis] * shape[axis] }
            if contiguous {
                dims[dims.count - 1] *= shape[axis]
                for input in full.indices { merged[input][merged[input].count - 1] = full[input][axis] }
            } else {
                dims.append(shape[axis])
                for input in full.indices { merged[input].append(full[input][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [1]
            merged = merged.map { _ in [0] }
        }
        self.dims = dims
        strides = merged
        count = shape.reduce(1, *)
    }

    /// One row of `count` elements in which input `n` has element stride `innerStrides[n]`.
    init(count: Int, innerStrides: [Int]) {
        dims = [count]
        strides = innerStrides.map { [$0] }
        self.count = count
    }

    /// Length of a row: the innermost merged dim.
    var inner: Int { dims[dims.count - 1] }

    /// Number of rows.
    var rows: Int { count == 0 ? 0 : count / inner }

    /// Stride of input `n` along a row.
    func innerStride(_ n: Int) -> Int { strides[n][dims.count - 1] }

    /// Calls `body(start, offsets)` for each row in `rows`: `start` is the row's first output index and
    /// `offsets[n]` the element of input `n` the row starts at.
    func forEachRow(_ rows: Range<Int>, _ body: (Int, UnsafeMutableBufferPointer<Int>) -> Void) {
        let outerRank = dims.count - 1
        let inputs = strides.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: outerRank + inputs) { scratch in
            let counter = UnsafeMutableBufferPointer(rebasing: scratch[0..<outerRank])
            let offsets = UnsafeMutableBufferPointer(rebasing: scratch[outerRank...])
            var rest = rows.lowerBound
            for n in 0..<inputs { offsets[n] = 0 }
            for axis in stride(from: outerRank - 1, through: 0, by: -1) {
                counter[axis] = rest % dims[axis]
                rest /= dims[axis]
                for n in 0..<inputs { offsets[n] += counter[axis] * strides[n][axis] }
            }
            let inner = self.inner
            for row in rows {
                body(row * inner, offsets)
                // Advance the row counter like an odometer, updating the offsets incrementally.
                var axis = outerRank - 1
                while axis >= 0 {
                    counter[axis] += 1
                    for n in 0..<inputs { offsets[n] += strides[n][axis] }
                    if counter[axis] < dims[axis] { break }
                    for n in 0..<inputs { offsets[n] -= strides[n][axis] * dims[axis] }
                    counter[axis] = 0
                    axis -= 1
                }
            }
        }
    }
}
