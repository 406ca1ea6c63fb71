import CBLAS

/// Row-major float matrix products through OpenBLAS's `cblas_sgemm`: the one GEMM that Conv,
/// ConvTranspose, Gemm, MatMul, LSTM and GRU share.
///
/// Why OpenBLAS runs single-threaded here: kernels split their work over threads themselves, in fixed
/// chunks (`Parallel.forEach`), so results never depend on the thread count. OpenBLAS's own threads
/// would oversubscribe the cores and decide the split by heuristics of their own.
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

    private static let singleThreaded: Void = openblas_set_num_threads(1)

    /// C = alpha · op(A) · op(B) + beta · C on the calling thread. `beta == 0` ignores what C held.
    static func run(_ o: Operands, alpha: Float = 1, beta: Float = 0) {
        guard o.m > 0, o.n > 0 else { return }
        guard o.k > 0 else {
            for row in 0..<o.m {
                let c = o.c + row * o.ldc
                for column in 0..<o.n { c[column] = beta == 0 ? 0 : beta * c[column] }
            }
            return
        }
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, o.transA ? CblasTrans : CblasNoTrans, o.transB ? CblasTrans : CblasNoTrans,
                    Int32(o.m), Int32(o.n), Int32(o.k), alpha, o.a, Int32(max(1, o.lda)), o.b, Int32(max(1, o.ldb)),
                    beta, o.c, Int32(max(1, o.ldc)))
    }

    /// The operands restricted to output columns `columns` (a block of C and the matching part of B).
    static func columns(_ o: Operands, _ columns: Range<Int>) -> Operands {
        var block = o
        block.n = columns.count
        block.b = o.transB ? o.b + columns.lowerBound * o.ldb : o.b + columns.lowerBound
        block.c = o.c + columns.lowerBound
        return block
    }

    /// The operands restricted to output rows `rows` (a block of C and the matching part of A).
    static func rows(_ o: Operands, _ rows: Range<Int>) -> Operands {
        var block = o
        block.m = rows.count
        block.a = o.transA ? o.a + rows.lowerBound : o.a + rows.lowerBound * o.lda
        block.c = o.c + rows.lowerBound * o.ldc
        return block
    }

    /// Output columns per work chunk for an `m×k` by `k×n` product: enough work per chunk (about
    /// 2 MFLOP) that OpenBLAS's packing of A is amortised, a multiple of 16 columns. It depends on
    /// the shapes only, never on the thread count.
    static func columnGrain(m: Int, k: Int) -> Int {
        let target = (1 << 20) / max(1, m * k)
        return max(16, (target + 15) / 16 * 16)
    }

    /// How one product is cut into chunks: along columns when C is at least as wide as it is tall,
    /// else along rows, in blocks that depend on the shapes only.
    private static func blocks(_ o: Operands) -> (count: Int, block: (Int) -> Operands) {
        let alongColumns = o.n >= o.m
        let (length, other) = alongColumns ? (o.n, o.m) : (o.m, o.n)
        let grain = min(max(1, length), columnGrain(m: other, k: o.k))
        let count = (length + grain - 1) / grain
        return (count, { index in
            let range = index * grain..<min(length, (index + 1) * grain)
            return alongColumns ? columns(o, range) : rows(o, range)
        })
    }

    /// Runs every product (C = alpha · op(A) · op(B) + beta · C), cut into fixed chunks spread over threads.
    static func parallel(_ products: [Operands], alpha: Float = 1, beta: Float = 0, threads: Int) {
        let plans = products.map(blocks)
        let chunks = plans.indices.flatMap { product in (0..<plans[product].count).map { (product, $0) } }
        Parallel.forEach(count: chunks.count, grain: 1, threads: threads) { items in
            for item in items {
                let (product, block) = chunks[item]
                run(plans[product].block(block), alpha: alpha, beta: beta)
            }
        }
    }
}
