#if canImport(Glibc)
import Glibc
#endif

/// Accumulated wall time per op type over interpreter runs, for `qconvert run --time`.
public final class OpProfile: @unchecked Sendable {
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var calls: [String: Int] = [:]

    public init() {}

    static func now() -> Double { Stopwatch.now() }

    func record(_ opType: String, since start: Double) {
        seconds[opType, default: 0] += Self.now() - start
        calls[opType, default: 0] += 1
    }
}
