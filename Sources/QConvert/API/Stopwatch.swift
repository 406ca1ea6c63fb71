#if canImport(Glibc)
import Glibc
#endif

/// Elapsed wall time from a monotonic clock, for `--time` reports and progress rates.
public struct Stopwatch: Sendable {
    private let start: Double

    public init() {
        start = Self.now()
    }

    /// Seconds since this stopwatch was made.
    public var seconds: Double { Self.now() - start }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
