import CKernels

/// Row-major float matrix products C = alpha · op(A) · op(B) + beta · C on CKernels' GEMM: the one
/// general GEMM that Gemm, MatMul, LSTM and GRU share (Conv and ConvTranspose call CKernels directly,
/// for their im2col-free operands).
///
/// op(A) is packed, scaled by alpha, once per product; the rows of op(B) are read in place, or from a
/// transposed copy when `transB`. Products are cut into fixed chunks of whole micro-kernel tiles along
/// C's longer side, and every element is summed in the same order whatever the split, so results do
/// not depend on the thread count.
enum MatrixMultiply {
    /// Operand layout: `a` is `m×k` (or `k×m` stored, when `transA`), `b` is `k×n` (or `n×k` stored,
    /// when `transB`); `lda`, `ldb`, `ldc` are row strides in elements.
    struct Operands {
        var transA = false
        var transB = false
        var m: Int
        var n: Int
        var k: Int
        var a: UnsafePointer<Float>
        var lda: Int
        var b: UnsafePointer<Float>
        var ldb: Int
        var c: UnsafeMutablePointer<Float>
        var ldc: Int
    }

    /// C = alpha · op(A) · op(B) + beta · C on the calling thread.
    static func run(_ o: Operands, alpha: Float = 1, beta: Float = 0) {
        parallel([o], alpha: alpha, beta: beta, threads: 1)
    }

    /// C = alpha · op(A) · op(B) + beta · C for every product, chunks spread over threads.
    static func parallel(_ products: [Operands], alpha: Float = 1, beta: Float = 0, threads: Int) {
        let prepared = products.filter { $0.m > 0 && $0.n > 0 }.map { Prepared($0, alpha: alpha) }
        let chunks = prepared.indices.flatMap { product in (0..<prepared[product].chunkCount).map { (product, $0) } }
        Parallel.forEach(count: chunks.count, grain: 1, threads: threads) { items in
            let scratch = Scratch.floats(qc_gemm_rows_scratch_size())
            defer { scratch.deallocate() }
            for item in items {
                let (product, chunk) = chunks[item]
                prepared[product].multiply(chunk: chunk, beta: beta, scratch: scratch)
            }
        }
    }

    /// One product made ready for CKernels: op(A) packed, pointers to the rows of op(B).
    final class Prepared {
        let o: Operands
        let packed: UnsafeMutablePointer<Float>
        let transposedB: UnsafeMutablePointer<Float>?
        let rows: [UnsafePointer<Float>?]
        /// Chunks cut C along its columns (else its rows) into `grain` columns (rows) each.
        let alongColumns: Bool
        let grain: Int

        var chunkCount: Int { ((alongColumns ? o.n : o.m) + grain - 1) / grain }

        init(_ o: Operands, alpha: Float) {
            self.o = o
            let size = qc_gemm_packed_size(Int32(o.m), Int32(o.k))
            packed = Scratch.floats(size)
            qc_gemm_pack(o.a, Int32(o.m), Int32(o.k), Int32(o.transA ? 1 : o.lda), Int32(o.transA ? o.lda : 1), packed)
            if alpha != 1 {
                for index in 0..<size { packed[index] *= alpha }
            }
            if o.transB {
                let copy = Scratch.floats(o.k * o.n)
                for j in 0..<o.n {
                    for p in 0..<o.k { copy[p * o.n + j] = o.b[j * o.ldb + p] }
                }
                transposedB = copy
                rows = (0..<o.k).map { Optional(UnsafePointer(copy + $0 * o.n)) }
            } else {
                transposedB = nil
                rows = (0..<o.k).map { Optional(o.b + $0 * o.ldb) }
            }
            alongColumns = o.n >= o.m
            let tile = Int(alongColumns ? qc_gemm_tile_columns() : qc_gemm_tile_rows())
            let work = (1 << 21) / max(1, 2 * o.k * (alongColumns ? o.m : o.n))
            let target = max(alongColumns ? 4 * tile : tile, work)
            grain = (target + tile - 1) / tile * tile
        }

        deinit {
            packed.deallocate()
            transposedB?.deallocate()
        }

        /// C's chunk `chunk` = alpha · op(A) · op(B) + beta · C.
        func multiply(chunk: Int, beta: Float, scratch: UnsafeMutablePointer<Float>) {
            let length = alongColumns ? o.n : o.m
            let range = chunk * grain..<min(length, (chunk + 1) * grain)
            let (rowRange, columnRange) = alongColumns ? (0..<o.m, range) : (range, 0..<o.n)
            let c = o.c + rowRange.lowerBound * o.ldc + columnRange.lowerBound
            if beta != 0 && beta != 1 {
                for i in 0..<rowRange.count {
                    for j in 0..<columnRange.count { c[i * o.ldc + j] *= beta }
                }
            }
            qc_gemm_rows(packed + rowRange.lowerBound * o.k, Int32(rowRange.count), Int32(o.k), rows,
                         Int32(columnRange.lowerBound), Int32(columnRange.count), nil, beta == 0 ? 0 : 1, c, Int32(o.ldc), scratch)
        }
    }
}
