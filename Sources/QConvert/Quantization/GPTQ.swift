/// GPTQ rounding (Frantar et al. 2022): rounds a weight matrix to its grid one input column at a
/// time and pushes each column's rounding error onto the columns not yet rounded, weighted by the
/// inverse Gram matrix H = sum x x^T of the inputs the weight multiplies, so that the layer's output
/// W x changes as little as possible on those inputs, rather than each weight separately.
///     for i in 0..<K:  q_i = clamp(round(w_i / s), -qmax, qmax);  e = (w_i - s q_i) / U[i][i]
///                      w_j -= e U[i][j]  for j > i               (U upper, U^T U = (H + damp I)^-1)
/// Scales are fixed beforehand (per output row), so only the rounding changes.
enum GPTQ {
    /// Fraction of the mean diagonal of H added to it, as GPTQ does, for numerical stability.
    static let damping = 0.01

    /// Rounds `rows` x `k` weights (row-major, one scale per row) given the k x k input Gram matrix;
    /// returns integer codes, or nil if H is unusable or a value is not finite (then the caller rounds
    /// to nearest). The matrix is taken, not copied: at k = 2304 (yolov8n's widest layers) each k x k
    /// copy is 42 MB per thread.
    static func round(weights: [Double], rows: Int, k: Int, scales: [Double], qmax: Double, gram: consuming [Double]) -> [Int8]? {
        // A hostile or broken model (NaN weights, activations overflowing to infinity) makes the
        // codes NaN; nearest rounding then decides what such a model gets.
        guard weights.allSatisfy(\.isFinite), scales.allSatisfy({ $0.isFinite && $0 > 0 }), gram.allSatisfy(\.isFinite) else { return nil }
        var w = weights
        var h = SymmetricSolver.Matrix(n: k, values: consume gram)
        // Inputs that were always zero on these samples say nothing about their weights, which other
        // inputs may still need: a unit diagonal (and no coupling) rounds them to nearest.
        var diagonal = 0.0
        for i in 0..<k {
            if h[i, i] <= 0 { h[i, i] = 1 }
            diagonal += h[i, i]
        }
        var damp = damping * diagonal / Double(k)
        // Damped in place: only the diagonal changes, set from the undamped one on each try.
        let undamped = (0..<k).map { h[$0, $0] }
        var u: SymmetricSolver.Matrix?
        for _ in 0..<4 where u == nil {
            for i in 0..<k { h[i, i] = undamped[i] + damp }
            u = SymmetricSolver.inverseCholeskyUpper(h)
            damp *= 10
        }
        guard let u else { return nil }
        var codes = [Int8](repeating: 0, count: rows * k)
        w.withUnsafeMutableBufferPointer { wp in
            u.values.withUnsafeBufferPointer { up in
                for i in 0..<k {
                    let uRow = up.baseAddress! + i * k
                    let pivot = uRow[i]
                    for r in 0..<rows {
                        let row = wp.baseAddress! + r * k
                        let s = scales[r]
                        let q = min(max((row[i] / s).rounded(.toNearestOrEven), -qmax), qmax)
                        codes[r * k + i] = Int8(q)
                        let error = (row[i] - q * s) / pivot
                        if error != 0 {
                            var j = i + 1
                            let e4 = SIMD4<Double>(repeating: error)
                            while j + 4 <= k {
                                let target = UnsafeMutableRawPointer(row + j)
                                let value = target.loadUnaligned(as: SIMD4<Double>.self) - e4 * UnsafeRawPointer(uRow + j).loadUnaligned(as: SIMD4<Double>.self)
                                target.storeBytes(of: value, as: SIMD4<Double>.self)
                                j += 4
                            }
                            while j < k {
                                row[j] -= error * uRow[j]
                                j += 1
                            }
                        }
                    }
                }
            }
        }
        return codes
    }
}
