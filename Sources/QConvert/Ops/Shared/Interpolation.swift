import QConvertIR

/// Resampling a float tensor along its axes, given per-axis taps (`AxisResampling`): the kernel of
/// Resize and Upsample.
///
/// Nearest resizing is one gather over all axes (exact). Linear and cubic are separable: the tensor is
/// resampled one axis at a time, y[.., o, ..] = Σ_t w[o, t] · x[.., i[o, t], ..], skipping axes that do
/// not change, so bilinear, trilinear and bicubic on any axes share one loop.
enum Interpolation {
    /// Resamples `x` along every axis of `axes` (one entry per axis of `x`).
    static func resample(_ x: Tensor, axes: [AxisResampling], nearest: Bool, extrapolation: Float, threads: Int) -> Tensor {
        if nearest { return gather(x, axes: axes, extrapolation: extrapolation, threads: threads) }
        var current = x
        for axis in axes.indices where !axes[axis].isIdentity {
            current = pass(current, axis: axis, axes[axis], extrapolation: extrapolation, threads: threads)
        }
        return current
    }

    /// y[o_0, ..., o_r] = x[i_0[o_0], ..., i_r[o_r]] (or `extrapolation` where any axis is outside).
    static func gather(_ x: Tensor, axes: [AxisResampling], extrapolation: Float, threads: Int) -> Tensor {
        let shape = axes.map(\.outputSize)
        guard let last = axes.indices.last else { return x }
        var strides = [Int](repeating: 1, count: axes.count)
        for axis in stride(from: axes.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.shape[axis + 1] }
        let width = shape[last]
        let rows = shape.dropLast().reduce(1, *)
        return x.withElements(of: Float.self) { xs in
            Tensor(shape: shape, of: Float.self) { ys in
                guard ys.count > 0 else { return }
                Parallel.forEach(count: rows, grain: max(1, (1 << 15) / max(1, width)), threads: threads) { range in
                    for row in range {
                        var base = 0, outside = false, rest = row
                        for axis in stride(from: last - 1, through: 0, by: -1) {
                            let o = rest % shape[axis]
                            rest /= shape[axis]
                            base += axes[axis].indices[o] * strides[axis]
                            outside = outside || axes[axis].outside[o]
                        }
                        let line = ys.baseAddress! + row * width
                        for o in 0..<width {
                            line[o] = outside || axes[last].outside[o] ? extrapolation : xs[base + axes[last].indices[o]]
                        }
                    }
                }
            }
        }
    }

    /// Resamples along one axis: x viewed as (outer, in, inner) becomes (outer, out, inner) with
    /// y[a, o, b] = Σ_t w[o, t] · x[a, i[o, t], b], or `extrapolation` where the output is outside.
    static func pass(_ x: Tensor, axis: Int, _ resampling: AxisResampling, extrapolation: Float, threads: Int) -> Tensor {
        var shape = x.shape
        shape[axis] = resampling.outputSize
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let (inSize, outSize, taps) = (resampling.inputSize, resampling.outputSize, resampling.taps)
        return x.withElements(of: Float.self) { xs in
            Tensor(shape: shape, of: Float.self) { ys in
                guard ys.count > 0 else { return }
                let slabs = outer * outSize
                Parallel.forEach(count: slabs, grain: max(1, (1 << 15) / max(1, inner * taps)), threads: threads) { range in
                    for slab in range {
                        let (a, o) = slab.quotientAndRemainder(dividingBy: outSize)
                        let dst = ys.baseAddress! + slab * inner
                        if resampling.outside[o] {
                            dst.update(repeating: extrapolation, count: inner)
                            continue
                        }
                        let src = xs.baseAddress! + a * inSize * inner
                        let first = resampling.indices[o * taps], weight = resampling.weights[o * taps]
                        for b in 0..<inner { dst[b] = weight * src[first * inner + b] }
                        for t in 1..<taps {
                            let index = resampling.indices[o * taps + t], weight = resampling.weights[o * taps + t]
                            let row = src + index * inner
                            for b in 0..<inner { dst[b] += weight * row[b] }
                        }
                    }
                }
            }
        }
    }
}
