/// How far a tensor computed by the quantized model is from the float model's, accumulated over
/// samples: SQNR = 10 log10(sum r^2 / sum (r - t)^2), cosine similarity sum(r t) / sqrt(sum r^2 sum t^2),
/// and the largest |r - t|.
public struct TensorError: Codable, Sendable, Equatable {
    public var count = 0
    public var signal = 0.0
    public var noise = 0.0
    public var dot = 0.0
    public var testEnergy = 0.0
    public var maxAbs = 0.0

    public init() {}

    /// Adds a pair of tensors; with a `floor` (`ReaderFloor`) both are first raised to it, as values
    /// below it give their readers the same result (a NaN stays NaN).
    public mutating func add(reference: UnsafeBufferPointer<Float>, test: UnsafeBufferPointer<Float>, floor: Float? = nil) {
        precondition(reference.count == test.count)
        var s = 0.0, n = 0.0, d = 0.0, t2 = 0.0, m = 0.0
        let lowest = Double(floor ?? -.infinity)
        for i in 0..<reference.count {
            var r = Double(reference[i]), t = Double(test[i])
            if r < lowest { r = lowest }
            if t < lowest { t = lowest }
            let e = r - t
            s += r * r
            n += e * e
            d += r * t
            t2 += t * t
            m = Swift.max(m, abs(e))
        }
        count += reference.count
        signal += s
        noise += n
        dot += d
        testEnergy += t2
        maxAbs = Swift.max(maxAbs, m)
    }

    /// Adds one pair of values.
    @inline(__always)
    public mutating func add(_ reference: Float, _ test: Float) {
        let r = Double(reference), t = Double(test), e = r - t
        count += 1
        signal += r * r
        noise += e * e
        dot += r * t
        testEnergy += t * t
        maxAbs = Swift.max(maxAbs, abs(e))
    }

    public mutating func merge(_ other: TensorError) {
        count += other.count
        signal += other.signal
        noise += other.noise
        dot += other.dot
        testEnergy += other.testEnergy
        maxAbs = Swift.max(maxAbs, other.maxAbs)
    }

    /// Infinity when identical.
    public var sqnr: Double { Self.sqnr(signal: signal, noise: noise) }

    /// 10 log10(signal / noise), infinity without noise.
    public static func sqnr(signal: Double, noise: Double) -> Double {
        noise == 0 ? .infinity : 10 * log10(signal / noise)
    }

    public var cosine: Double {
        let denominator = (signal * testEnergy).squareRoot()
        return denominator == 0 ? (noise == 0 ? 1 : 0) : dot / denominator
    }
}

#if canImport(Glibc)
import Glibc
#endif
