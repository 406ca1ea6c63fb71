import QConvertIR

/// Comparing computed tensors with independent truth (ONNX Runtime outputs, hand-computed values).
public enum Closeness {
    /// nil when `actual` matches `expected` elementwise within `|a - e| <= atol + rtol * |e|` (NaN
    /// matches NaN, equal infinities match), else a description of the worst element. Integer and
    /// bool tensors must match exactly.
    public static func mismatch(_ actual: Tensor, _ expected: Tensor, rtol: Double = 1e-4, atol: Double = 1e-5) -> String? {
        guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
        guard actual.dataType == expected.dataType else { return "type \(actual.dataType), expected \(expected.dataType)" }
        if actual.dataType == .string {
            return actual.storage.strings == expected.storage.strings ? nil : "strings differ"
        }
        let isFloat = [DataType.float, .double, .float16, .bfloat16].contains(actual.dataType)
        guard let a = actual.doubles(), let e = expected.doubles() else { return "cannot compare \(actual.dataType)" }
        var worst: (index: Int, excess: Double)?
        var bad = 0
        for i in 0..<a.count {
            let x = a[i], y = e[i]
            if x.isNaN && y.isNaN { continue }
            if x == y { continue }
            let tolerance = isFloat ? atol + rtol * abs(y) : 0
            let error = abs(x - y)
            if !(error <= tolerance) {
                bad += 1
                let excess = error.isNaN ? .infinity : error - tolerance
                if worst == nil || excess > worst!.excess { worst = (i, excess) }
            }
        }
        guard let worst else { return nil }
        return "\(bad) of \(a.count) elements differ; worst at flat index \(worst.index): \(a[worst.index]) vs expected \(e[worst.index])"
    }

    /// Signal-to-quantization-noise ratio in dB: 10 log10(sum ref^2 / sum (ref - test)^2).
    public static func sqnr(reference: Tensor, test: Tensor) -> Double {
        guard let r = reference.doubles(), let t = test.doubles(), r.count == t.count else { return -.infinity }
        var signal = 0.0, noise = 0.0
        for i in 0..<r.count {
            signal += r[i] * r[i]
            noise += (r[i] - t[i]) * (r[i] - t[i])
        }
        return noise == 0 ? .infinity : 10 * log10(signal / noise)
    }
}

extension Tensor {
    /// Elements as Double for comparisons; nil for strings.
    func doubles() -> [Double]? {
        if dataType == .double { return scalars(of: Double.self) }
        if dataType == .int64 { return scalars(of: Int64.self).map(Double.init) }
        return floats()?.map(Double.init)
    }
}

#if canImport(Glibc)
import Glibc
#endif
