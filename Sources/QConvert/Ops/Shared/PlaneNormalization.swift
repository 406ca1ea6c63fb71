import QConvertIR

/// Normalising consecutive planes of a float32 tensor by their own mean and biased variance: one
/// plane per (n, c) in InstanceNormalization, per (n, group) in GroupNormalization.
enum PlaneNormalization {
    /// y = gamma[p] (x - mean) / sqrt(var + epsilon) + beta[p] over planes of `plane` elements, the
    /// statistics of each plane from `Moments`; the r-th run of `run` elements within plane k takes
    /// parameter p = `parameter(k, r)` (its channel, or its group).
    static func normalize(_ x: Tensor, plane: Int, run: Int, epsilon: Double, gamma: [Float], beta: [Float], threads: Int,
                          parameter: (_ plane: Int, _ run: Int) -> Int) -> Tensor {
        x.withElements(of: Float.self) { source in
            Tensor(shape: x.shape, of: Float.self) { out in
                guard x.count > 0, run > 0 else { return }
                let input = source.baseAddress!, output = out.baseAddress!
                Parallel.forEach(count: x.count / plane, grain: max(1, (1 << 15) / plane), threads: threads) { planes in
                    for k in planes {
                        let (mean, variance) = Moments.of(input + k * plane, count: plane)
                        let deviation = (variance + epsilon).squareRoot()
                        for r in 0..<(plane / run) {
                            let p = parameter(k, r), start = k * plane + r * run
                            let factor = Double(gamma[p]) / deviation
                            for i in start..<(start + run) { output[i] = Float((Double(input[i]) - mean) * factor) + beta[p] }
                        }
                    }
                }
            }
        }
    }
}
