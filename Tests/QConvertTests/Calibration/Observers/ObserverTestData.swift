import Foundation
@testable import QConvert

/// Test histograms shared by the observer tests, defined exactly as Scripts/observer-expectations.py
/// defines them (that script computes the expected thresholds independently).
enum ObserverTestData {
    /// A histogram holding the integer value `v` `counts[v]` times.
    static func histogram(_ counts: [Int: Int]) -> Histogram {
        var values: [Float] = []
        for (v, n) in counts.sorted(by: { $0.key < $1.key }) {
            values += repeatElement(Float(v), count: n)
        }
        var h = Histogram()
        h.add(values)
        return h
    }

    /// Values 0...1500: count floor(2000 exp(-v/30)) + (1 if v % 97 == 0), and 1 at v = 1500.
    static let decay: [Int: Int] = {
        var c = counts(0...1500) { v in decayed(2000, v, 30) + (v % 97 == 0 ? 1 : 0) }
        c[1500] = 1
        return c
    }()

    /// Values 0...1500: count floor(2000 exp(-v/300)), and 200000 more at 0 (a ReLU's exact zeros).
    static let slowDecayWithZeros: [Int: Int] = {
        var c = counts(0...1500) { v in decayed(2000, v, 300) }
        c[0, default: 0] += 200000
        return c
    }()

    /// Values -400...1200: count floor(500 exp(-|v|/25)) + (1 if v % 50 == 0).
    static let twoSided: [Int: Int] = counts(-400...1200) { v in
        decayed(500, v, 25) + (v % 50 == 0 ? 1 : 0)
    }

    /// Values -40...1200: count floor(500 exp(-|v|/5)) + 1.
    static let smallNegativeSide: [Int: Int] = counts(-40...1200) { v in decayed(500, v, 5) + 1 }

    /// Values -40...1100: count floor(300 exp(-|v|/80)) + 1.
    static let mseTwoSided: [Int: Int] = counts(-40...1100) { v in decayed(300, v, 80) + 1 }

    /// floor(scale * exp(-|v| / length)).
    static func decayed(_ scale: Double, _ v: Int, _ length: Double) -> Int {
        Int((scale * exp(-Double(abs(v)) / length)).rounded(.down))
    }

    static func counts(_ values: ClosedRange<Int>, _ count: (Int) -> Int) -> [Int: Int] {
        var result: [Int: Int] = [:]
        for v in values where count(v) > 0 { result[v] = count(v) }
        return result
    }
}
