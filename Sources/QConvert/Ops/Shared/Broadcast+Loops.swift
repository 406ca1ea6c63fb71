import CKernels
import QConvertIR

/// The elementwise loops over a broadcast plan, split over threads in fixed chunks of whole rows.
///
/// Why here: every binary op (arithmetic, comparison, logic, PRelu) and Where run through these loops,
/// so the unit/zero-stride specialisation and the threading are written once. Each output element
/// depends only on its own inputs, so results are the same for any thread count.
extension Broadcast {
    /// Output elements per parallel chunk (rounded to whole rows).
    static let grain = 1 << 15

    /// out[i] = f(a[ia], b[ib]), where ia and ib are the elements output element i reads (on float32
    /// through the formula's CKernels loop when it has one).
    func apply<F: BinaryFunction>(
        _ a: UnsafeBufferPointer<F.A>, _ b: UnsafeBufferPointer<F.B>, into out: UnsafeMutableBufferPointer<F.Result>,
        threads: Int, _ f: F
    ) {
        guard count > 0, let a0 = a.baseAddress, let b0 = b.baseAddress, let out0 = out.baseAddress else { return }
        let inner = walk.inner
        // After merging, an input's innermost stride is 1 (read along) or 0 (broadcast).
        let strideA = walk.innerStride(0), strideB = walk.innerStride(1)
        let vectorized = F.A.self == Float.self && F.B.self == Float.self && F.Result.self == Float.self ? f.vectorized : nil
        Parallel.forEach(count: walk.rows, grain: max(1, Self.grain / inner), threads: threads) { rows in
            walk.forEachRow(rows) { start, offsets in
                let pa = a0 + offsets[0], pb = b0 + offsets[1], po = out0 + start
                if let vectorized {
                    qc_binary(vectorized, UnsafeRawPointer(pa).assumingMemoryBound(to: Float.self), Int32(strideA),
                              UnsafeRawPointer(pb).assumingMemoryBound(to: Float.self), Int32(strideB),
                              UnsafeMutableRawPointer(po).assumingMemoryBound(to: Float.self), inner)
                    return
                }
                switch (strideA, strideB) {
                case (1, 1):
                    for i in 0..<inner { po[i] = f(pa[i], pb[i]) }
                case (1, _):
                    let y = pb[0]
                    for i in 0..<inner { po[i] = f(pa[i], y) }
                case (_, 1):
                    let x = pa[0]
                    for i in 0..<inner { po[i] = f.broadcastingFirst(x, pb[i]) }
                default:
                    po.update(repeating: f(pa[0], pb[0]), count: inner)
                }
            }
        }
    }

    /// A new tensor of this plan's shape and ONNX type `dataType` holding f(a, b), with a and b read
    /// as `F.A` and `F.B` (which must have their types' widths).
    func map<F: BinaryFunction>(_ a: Tensor, _ b: Tensor, to dataType: DataType, threads: Int, _ f: F) -> Tensor {
        a.withElements(of: F.A.self) { pa in
            b.withElements(of: F.B.self) { pb in
                Tensor(uninitializedShape: shape, dataType: dataType, of: F.Result.self) { out in
                    apply(pa, pb, into: out, threads: threads, f)
                }
            }
        }
    }

    /// out[i] = condition[ic] != 0 ? a[ia] : b[ib] for three broadcast inputs (Where).
    func select<T>(
        _ condition: UnsafeBufferPointer<UInt8>, _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>,
        into out: UnsafeMutableBufferPointer<T>, threads: Int
    ) {
        guard count > 0, let c0 = condition.baseAddress, let a0 = a.baseAddress, let b0 = b.baseAddress,
              let out0 = out.baseAddress else { return }
        let inner = walk.inner
        let strideC = walk.innerStride(0), strideA = walk.innerStride(1), strideB = walk.innerStride(2)
        Parallel.forEach(count: walk.rows, grain: max(1, Self.grain / inner), threads: threads) { rows in
            walk.forEachRow(rows) { start, offsets in
                let pc = c0 + offsets[0], pa = a0 + offsets[1], pb = b0 + offsets[2], po = out0 + start
                for i in 0..<inner { po[i] = pc[i * strideC] != 0 ? pa[i * strideA] : pb[i * strideB] }
            }
        }
    }
}
