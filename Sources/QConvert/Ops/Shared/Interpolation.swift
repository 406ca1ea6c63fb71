import CKernels
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

    /// y[o_0, ..., o_r] = x[i_0[o_0], ..., i_r[o_r]] (or `extrapolation` where any axis is outside), line
    /// by line along the last axis; a line reading the same input line as the one before is a copy of it
    /// (every other line when upsampling by 2), and integer upsampling of a line is `qc_repeat`.
    static func gather(_ x: Tensor, axes: [AxisResampling], extrapolation: Float, threads: Int) -> Tensor {
        let shape = axes.map(\.outputSize)
        guard let last = axes.indices.last else { return x }
        var strides = [Int](repeating: 1, count: axes.count)
        for axis in stride(from: axes.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.shape[axis + 1] }
        // Per axis and output index: the input offset it reads, or -1 when outside.
        let offsets = axes.indices.map { axis in
            (0..<shape[axis]).map { axes[axis].outside[$0] ? -1 : axes[axis].indices[$0] * strides[axis] }
        }
        let width = shape[last]
        let rows = shape.dropLast().reduce(1, *)
        // Whether the last axis repeats each input element `factor` times (integer upsampling); the
        // C kernel takes 32-bit counts, so wider lines take the general path.
        let factor = width / max(1, x.shape[last])
        let repeats = factor >= 1 && width == factor * x.shape[last] && width <= Int(Int32.max) && offsets[last].indices.allSatisfy { offsets[last][$0] == $0 / factor }
        return x.withElements(of: Float.self) { xs in
            Tensor(uninitializedShape: shape, of: Float.self) { ys in
                guard ys.count > 0, let source = xs.baseAddress, let output = ys.baseAddress else { return ys.initialize(repeating: 0) }
                Parallel.forEach(count: rows, grain: max(1, (1 << 15) / max(1, width)), threads: threads) { range in
                    offsets[last].withUnsafeBufferPointer { columns in
                        var previous = -2
                        for row in range {
                            var base = 0, rest = row
                            for axis in stride(from: last - 1, through: 0, by: -1) where base >= 0 {
                                let offset = offsets[axis][rest % shape[axis]]
                                rest /= shape[axis]
                                base = offset < 0 ? -1 : base + offset
                            }
                            let line = output + row * width
                            if base == previous && row > range.lowerBound {
                                line.update(from: line - width, count: width)
                            } else if base < 0 {
                                line.update(repeating: extrapolation, count: width)
                            } else if repeats {
                                qc_repeat(source + base, Int32(x.shape[last]), Int32(factor), line)
                            } else {
                                let input = source + base
                                for o in 0..<width { line[o] = columns[o] < 0 ? extrapolation : input[columns[o]] }
                            }
                            previous = base
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
            Tensor(uninitializedShape: shape, of: Float.self) { ys in
                guard ys.count > 0, let source = xs.baseAddress, let output = ys.baseAddress else { return ys.initialize(repeating: 0) }
                Parallel.forEach(count: outer, grain: max(1, (1 << 15) / max(1, outSize * inner * taps)), threads: threads) { range in
                    resampling.indices.withUnsafeBufferPointer { indices in
                        resampling.weights.withUnsafeBufferPointer { weights in
                            resampling.outside.withUnsafeBufferPointer { outside in
                                for a in range {
                                    let src = source + a * inSize * inner, dst = output + a * outSize * inner
                                    for o in 0..<outSize {
                                        let line = dst + o * inner
                                        if outside[o] {
                                            line.update(repeating: extrapolation, count: inner)
                                            continue
                                        }
                                        let first = src + indices[o * taps] * inner, weight = weights[o * taps]
                                        for b in 0..<inner { line[b] = weight * first[b] }
                                        for t in 1..<taps {
                                            let row = src + indices[o * taps + t] * inner, weight = weights[o * taps + t]
                                            for b in 0..<inner { line[b] += weight * row[b] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
