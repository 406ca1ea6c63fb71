import CKernels
import QConvertIR

/// The int32 accumulators of an integer matrix product (MatMulInteger, QLinearMatMul before
/// requantization), with MatMul's shape rules (`MatMulShape`):
///     acc[..., i, j] = Σ_k (a[..., i, k] − a_zero) · (b[..., k, j] − b_zero[j])
///
/// On CKernels's integer GEMM: B's matrices are packed with their per-column zero points subtracted
/// (once per model when B is a constant), A's rows per work item of whole tiles. Sums are exact, so any
/// split gives the same result.
enum IntegerMatMul {
    /// B (..., K, N) of uint8 or int8 in CKernels's packed layout, one block per matrix.
    final class PackedB: @unchecked Sendable {
        let shape: [Int]
        let k: Int
        let n: Int
        private let matrixStride: Int
        private let storage: UnsafeMutablePointer<Int16>

        /// `zeroPoints`: one per column (N) or one for all; `transposed`: b is a 2-D (N, K) matrix
        /// holding Bᵀ (QGemm's transB).
        init(_ b: Tensor, zeroPoints: [Int32], transposed: Bool = false) throws {
            guard b.rank >= 1 else { throw QConvertError("input B must not be a scalar") }
            guard !transposed || b.rank == 2 else { throw QConvertError("a transposed B must be 2-D, got shape \(b.shape)") }
            shape = transposed ? [b.shape[1], b.shape[0]] : b.shape
            (k, n) = b.rank == 1 ? (b.shape[0], 1) : (shape[shape.count - 2], shape[shape.count - 1])
            guard zeroPoints.count == 1 || zeroPoints.count == n else {
                throw QConvertError("B's zero point has \(zeroPoints.count) values, expected 1 or \(n) (one per column)")
            }
            let zeros = zeroPoints.count == 1 ? Array(repeating: zeroPoints[0], count: n) : zeroPoints
            let matrices = b.count / max(1, k * n)
            matrixStride = qc_igemm_packed_b_size(Int32(k), Int32(n))
            storage = .allocate(capacity: max(1, matrixStride * matrices))
            let isSigned: Int32 = b.dataType == .int8 ? 1 : 0
            b.withElements(of: UInt8.self) { values in
                zeros.withUnsafeBufferPointer { zeros in
                    for index in 0..<matrices where k * n > 0 {
                        qc_igemm_pack_b(values.baseAddress! + index * k * n, isSigned, zeros.baseAddress!, Int32(k), Int32(n),
                                        transposed ? 1 : n, transposed ? k : 1, storage + index * matrixStride)
                    }
                }
            }
        }

        deinit { storage.deallocate() }

        /// Packed matrix `index` of B's batch.
        func matrix(_ index: Int) -> UnsafePointer<Int16> {
            UnsafePointer(storage + index * matrixStride)
        }
    }

    /// acc for A (uint8 or int8, per-tensor zero point `aZeroPoint`) times the packed B, as an int32
    /// tensor of MatMul's output shape.
    static func accumulate(_ a: Tensor, aZeroPoint: Int32, _ b: PackedB, threads: Int) throws -> Tensor {
        let shape = try MatMulShape(a: a.shape, b: b.shape)
        let (m, k, n) = (shape.m, shape.k, shape.n)
        // Products as (first row of A, matrix of B, rows), C's rows following A's.
        var products: [(aRow: Int, bMatrix: Int, rows: Int, cRow: Int)] = []
        if shape.foldsBatchIntoRows {
            products.append((0, 0, shape.aBatch.reduce(1, *) * m, 0))
        } else {
            let aIndex = shape.aMatrices, bIndex = shape.bMatrices
            products = (0..<shape.products).map { (aIndex[$0] * m, bIndex[$0], m, $0 * m) }
        }
        let tile = Int(qc_igemm_tile_rows())
        let grain = max(1, ((1 << 20) / max(1, k * n) + tile - 1) / tile) * tile
        let items = products.flatMap { product in stride(from: 0, to: product.rows, by: grain).map { (product, $0) } }
        let isSigned: Int32 = a.dataType == .int8 ? 1 : 0
        let zeros = Array(repeating: aZeroPoint, count: grain)
        return Tensor(shape: shape.output, of: Int32.self) { acc in
            guard let out = acc.baseAddress, acc.count > 0 else { return }
            a.withElements(of: UInt8.self) { values in
                guard let ap = values.baseAddress else { return }
                Parallel.forEach(count: items.count, grain: 1, threads: threads) { chunk in
                    let packed = UnsafeMutablePointer<Int16>.allocate(capacity: qc_igemm_packed_a_size(Int32(grain), Int32(k)))
                    defer { packed.deallocate() }
                    for item in chunk {
                        let (product, start) = items[item]
                        let rows = min(grain, product.rows - start)
                        zeros.withUnsafeBufferPointer { zeros in
                            qc_igemm_pack_a(ap + (product.aRow + start) * k, isSigned, zeros.baseAddress!, Int32(rows), Int32(k), k, 1, packed)
                        }
                        qc_igemm(packed, Int32(rows), Int32(k), b.matrix(product.bMatrix), Int32(n),
                                 out + (product.cRow + start) * n, Int32(n))
                    }
                }
            }
        }
    }
}
