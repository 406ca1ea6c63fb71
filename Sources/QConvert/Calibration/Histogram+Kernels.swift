/// The two loops every calibrated activation element goes through, written for speed: calibration
/// histograms tens of millions of values per sample (measured in release builds, see the commit that
/// introduced this file).
extension Histogram {
    /// Min and max of `values` when all are finite, else nil. Eight independent lanes with
    /// select-style min/max (which the compiler vectorizes) instead of a branch per element; a value
    /// is non-finite exactly when `x - x` is not 0, so one running sum of `x - x` per lane group
    /// detects NaN and infinities without branching.
    static func finiteRange(_ values: UnsafeBufferPointer<Float>) -> (Float, Float)? {
        guard let p = values.baseAddress else { return nil }
        var l0 = Float.infinity, l1 = l0, l2 = l0, l3 = l0, l4 = l0, l5 = l0, l6 = l0, l7 = l0
        var h0 = -Float.infinity, h1 = h0, h2 = h0, h3 = h0, h4 = h0, h5 = h0, h6 = h0, h7 = h0
        var z0: Float = 0, z1: Float = 0
        let whole = values.count / 8 * 8
        var i = 0
        while i < whole {
            let a0 = p[i], a1 = p[i + 1], a2 = p[i + 2], a3 = p[i + 3]
            let a4 = p[i + 4], a5 = p[i + 5], a6 = p[i + 6], a7 = p[i + 7]
            l0 = a0 < l0 ? a0 : l0; l1 = a1 < l1 ? a1 : l1; l2 = a2 < l2 ? a2 : l2; l3 = a3 < l3 ? a3 : l3
            l4 = a4 < l4 ? a4 : l4; l5 = a5 < l5 ? a5 : l5; l6 = a6 < l6 ? a6 : l6; l7 = a7 < l7 ? a7 : l7
            h0 = a0 > h0 ? a0 : h0; h1 = a1 > h1 ? a1 : h1; h2 = a2 > h2 ? a2 : h2; h3 = a3 > h3 ? a3 : h3
            h4 = a4 > h4 ? a4 : h4; h5 = a5 > h5 ? a5 : h5; h6 = a6 > h6 ? a6 : h6; h7 = a7 > h7 ? a7 : h7
            z0 += (a0 - a0) + (a1 - a1) + (a2 - a2) + (a3 - a3)
            z1 += (a4 - a4) + (a5 - a5) + (a6 - a6) + (a7 - a7)
            i += 8
        }
        while i < values.count {
            let a = p[i]
            l0 = a < l0 ? a : l0
            h0 = a > h0 ? a : h0
            z0 += a - a
            i += 1
        }
        guard z0 + z1 == 0 else { return nil }
        let low = Swift.min(Swift.min(Swift.min(l0, l1), Swift.min(l2, l3)), Swift.min(Swift.min(l4, l5), Swift.min(l6, l7)))
        let high = Swift.max(Swift.max(Swift.max(h0, h1), Swift.max(h2, h3)), Swift.max(Swift.max(h4, h5), Swift.max(h6, h7)))
        return (low, high)
    }

    /// Adds finite `values` to `counts`: value x goes to bin `floor(x * scale) - start`, the floor
    /// taken as truncation corrected by one where it rounded up (negative non-integers), which
    /// avoids a libm call per element. (Subtracting `start` before truncating would be cheaper but
    /// rounds a tiny negative `x * scale` up into bin 0.) Large inputs count into four interleaved
    /// 32-bit sub-histograms, so runs of equal values (ReLU zeros) do not serialise on one counter,
    /// and fold them in at the end.
    static func accumulate(_ values: UnsafeBufferPointer<Float>, scale: Double, start: Int, into counts: inout [Int]) {
        @inline(__always) func bin(_ x: Float) -> Int {
            let v = Double(x) * scale
            let t = Int(v)
            return t &- (Double(t) > v ? 1 : 0) &- start
        }
        guard values.count >= 4096 else {
            counts.withUnsafeMutableBufferPointer { bins in
                for x in values { bins[bin(x)] += 1 }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 4 * binCount) { lanes in
            var done = 0
            while done < values.count {
                // At most 2^31 values per round, so no 32-bit lane overflows.
                let chunk = UnsafeBufferPointer(rebasing: values[done..<Swift.min(values.count, done + (1 << 31))])
                lanes.initialize(repeating: 0)
                let p = chunk.baseAddress!, whole = chunk.count / 4 * 4
                var i = 0
                while i < whole {
                    lanes[4 &* bin(p[i])] &+= 1
                    lanes[4 &* bin(p[i + 1]) &+ 1] &+= 1
                    lanes[4 &* bin(p[i + 2]) &+ 2] &+= 1
                    lanes[4 &* bin(p[i + 3]) &+ 3] &+= 1
                    i += 4
                }
                while i < chunk.count {
                    lanes[4 &* bin(p[i])] &+= 1
                    i += 1
                }
                for k in 0..<binCount {
                    counts[k] += Int(lanes[4 * k]) + Int(lanes[4 * k + 1]) + Int(lanes[4 * k + 2]) + Int(lanes[4 * k + 3])
                }
                done += chunk.count
            }
        }
    }
}
