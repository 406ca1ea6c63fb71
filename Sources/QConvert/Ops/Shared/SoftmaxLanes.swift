import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

/// Softmax and LogSoftmax along one axis, on float32:
///     softmax:    y = e^(x - m) / s
///     logsoftmax: y = x - m - ln(s)
/// where, along the axis, m = max(x) (for stability) and s = sum of e^(x - m), accumulated in float64.
///
/// Why shared: the two ops differ only in the last step, and both have the same opset change: before
/// opset 13 the input is flattened to 2-D at `axis` (default 1) and each row normalised; from 13 only
/// the one axis (default -1) is. A lane along the last axis is contiguous and handled row by row; along
/// an inner axis, a block of neighbouring lanes is handled together so every loop runs over contiguous
/// memory (and vectorises). The order of operations depends only on the shape, not on threads.
enum SoftmaxLanes {
    /// Elements per parallel chunk.
    static let grain = 1 << 15
    /// Lanes handled together when the axis is not the last one.
    static let block = 256

    static func kernel(_ node: Node, _ context: CompileContext, log: Bool) throws -> Kernel {
        let lanes = try AxisLayout.lanes(node, opset: context.opsetVersion)
        return Kernel { inputs, context in
            let x = try inputs.required(0, "input")
            guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
            return [apply(x, try lanes(x.shape), log: log, threads: context.threads)]
        }
    }

    /// Normalises every lane (o, i) of `layout`: elements (o * extent + k) * inner + i for k in 0..<extent.
    static func apply(_ x: Tensor, _ layout: AxisLayout, log: Bool, threads: Int) -> Tensor {
        let (extent, inner) = (layout.extent, layout.inner)
        return x.withElements(of: Float.self) { source in
            Tensor(uninitializedShape: x.shape, of: Float.self) { out in
                guard x.count > 0, let input = source.baseAddress, let output = out.baseAddress else { return }
                if inner == 1 {
                    Parallel.forEach(count: layout.outer, grain: max(1, grain / extent), threads: threads) { rows in
                        for row in rows { normalizeRow(input + row * extent, output + row * extent, extent, log: log) }
                    }
                    return
                }
                let blocks = (inner + block - 1) / block
                Parallel.forEach(count: layout.outer * blocks, grain: max(1, grain / (extent * block)), threads: threads) { tasks in
                    for task in tasks {
                        let first = (task % blocks) * block
                        let offset = (task / blocks) * extent * inner + first
                        normalizeColumns(input + offset, output + offset, extent, inner, min(block, inner - first), log: log)
                    }
                }
            }
        }
    }

    /// One contiguous lane of `n` values. The max and the sum run over interleaved partial results
    /// (then combined in a fixed order) so they vectorise.
    private static func normalizeRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, log: Bool) {
        let blocked = n & ~7
        var peak = (-Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity)
        for k in stride(from: 0, to: blocked, by: 8) {
            peak = (max(peak.0, max(x[k], x[k + 4])), max(peak.1, max(x[k + 1], x[k + 5])),
                    max(peak.2, max(x[k + 2], x[k + 6])), max(peak.3, max(x[k + 3], x[k + 7])))
        }
        var m = max(max(peak.0, peak.1), max(peak.2, peak.3))
        for k in blocked..<n { m = max(m, x[k]) }
        for k in 0..<n { y[k] = FastExp.exp(x[k] - m) }
        var partial = SIMD8<Double>(repeating: 0)
        for k in stride(from: 0, to: blocked, by: 8) {
            partial += SIMD8<Double>(UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self))
        }
        var s = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + ((partial[4] + partial[5]) + (partial[6] + partial[7]))
        for k in blocked..<n { s += Double(y[k]) }
        if log {
            let shift = m + Float(Glibc.log(s))
            for k in 0..<n { y[k] = x[k] - shift }
        } else {
            let scale = Float(1 / s)
            for k in 0..<n { y[k] *= scale }
        }
    }

    /// `width` neighbouring lanes of `n` values each, `stride` apart. Loops run over row pointers so
    /// their index arithmetic needs no overflow checks and vectorises.
    private static func normalizeColumns(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, _ stride: Int, _ width: Int, log: Bool
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { m in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: width) { s in
                let m = m.baseAddress!, s = s.baseAddress!
                m.update(from: x, count: width)
                for k in 1..<n {
                    let row = x + k * stride
                    for j in 0..<width { m[j] = max(m[j], row[j]) }
                }
                s.update(repeating: 0, count: width)
                for k in 0..<n {
                    let row = x + k * stride, out = y + k * stride
                    for j in 0..<width {
                        let e = FastExp.exp(row[j] - m[j])
                        out[j] = e
                        s[j] += Double(e)
                    }
                }
                if log {
                    for j in 0..<width { m[j] += Float(Glibc.log(s[j])) }
                    for k in 0..<n {
                        let row = x + k * stride, out = y + k * stride
                        for j in 0..<width { out[j] = row[j] - m[j] }
                    }
                } else {
                    for j in 0..<width { m[j] = Float(1 / s[j]) }
                    for k in 0..<n {
                        let out = y + k * stride
                        for j in 0..<width { out[j] *= m[j] }
                    }
                }
            }
        }
    }
}
