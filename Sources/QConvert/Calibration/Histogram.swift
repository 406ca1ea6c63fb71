import QConvertIR

/// Streaming statistics of one float tensor over many samples: exact count, min and max, and a
/// 2048-bin histogram whose bins are powers of two wide, so that histograms merge exactly.
///
/// Why this design: calibrating in shards (or on several threads) and merging must give the same
/// bytes as one pass over everything. Each value `x` falls in bin index `floor(x / 2^e)`, exact in
/// floating point because `2^e` is a power of two. The histogram keeps the window of 2048 consecutive
/// indices starting at the even index `floor(min / 2^e)` rounded down to even. When data no longer
/// fits, `e` grows by one (bins `2i` and `2i+1` merge into `i`, exactly) until it does. The width is
/// the smallest one that fits all data seen, never below `resolutionFloor` (one float32 ulp of the
/// largest magnitude, and `2^-160`): fitting is monotone in the data and in `e`, so the state after
/// any sequence of adds and merges is a function of the set of values alone, whatever the order.
///
/// Non-finite values are counted in `nonFinite` and otherwise ignored; -0 is recorded as +0.
public struct Histogram: Equatable, Sendable {
    /// Bins in the window.
    public static let binCount = 2048
    /// Smallest bin-width exponent: below the smallest float32 subnormal (2^-149).
    public static let minimumExponent = -160

    /// Finite values seen.
    public private(set) var count: Int = 0
    /// NaN and infinite values seen (not in `count`, `min`, `max` or the bins).
    public private(set) var nonFinite: Int = 0
    /// Smallest and largest finite value; meaningless while `count` is 0.
    public private(set) var min: Float = 0
    public private(set) var max: Float = 0
    /// Bin width is `2^exponent`.
    public private(set) var exponent: Int = minimumExponent
    /// Index of the first bin of the window (even).
    public private(set) var windowStart: Int = 0
    /// `binCount` counts once anything was added; empty before.
    public private(set) var counts: [Int] = []

    public init() {}

    /// A histogram from stored parts (see `Histogram+Codable.swift`), after checking they are one a
    /// stream of adds could have produced.
    init(count: Int, nonFinite: Int, min: Float, max: Float, exponent: Int, counts window: [Int]) throws {
        guard count >= 0, nonFinite >= 0 else { throw QConvertError("histogram has a negative count") }
        self.nonFinite = nonFinite
        guard count > 0 else {
            guard window.isEmpty else { throw QConvertError("histogram has bins but a count of 0") }
            return
        }
        try Self.checkGeometry(min: min, max: max, exponent: exponent)
        guard window.count == Self.binCount, Self.checkedSum(window) == count else {
            throw QConvertError("histogram bins do not add up to its count \(count)")
        }
        self.count = count
        self.min = min + 0
        self.max = max + 0
        self.exponent = exponent
        self.windowStart = Self.index(min, exponent: exponent) & ~1
        self.counts = window
        guard self.count(atIndex: binIndex(of: min)) > 0, self.count(atIndex: binIndex(of: max)) > 0 else {
            throw QConvertError("histogram's first and last bins must hold its min and max")
        }
    }

    /// The sum of counts read from a file, or nil if one is negative or the sum overflows (an error
    /// for the caller to report, where `reduce(0, +)` would trap).
    static func checkedSum(_ counts: [Int]) -> Int? {
        var total = 0
        for n in counts {
            guard n >= 0 else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(n)
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// Bin width `2^exponent`.
    public var binWidth: Double { Double(sign: .plus, exponent: exponent, significand: 1) }

    /// Index of the bin holding `x` at the current width: `floor(x / 2^exponent)`.
    public func binIndex(of x: Float) -> Int { Self.index(x, exponent: exponent) }

    /// Count of the bin with absolute index `index` (0 outside the window).
    public func count(atIndex index: Int) -> Int {
        let local = index - windowStart
        return counts.indices.contains(local) ? counts[local] : 0
    }

    /// Adds every element of `values`, a chunk of `chunkSize` at a time: a range pass (widening the
    /// window when the chunk leaves it), a pass computing bin indices, and a counting pass (see
    /// `Histogram+Kernels.swift`). Long inputs count into four 32-bit lanes per bin, folded into
    /// `counts` before the window changes and at the end.
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        guard !values.isEmpty else { return }
        let lanes: UnsafeMutablePointer<UInt32>? = values.count >= Self.lanedThreshold ? .allocate(capacity: 4 * Self.binCount) : nil
        lanes?.initialize(repeating: 0, count: 4 * Self.binCount)
        defer { lanes?.deallocate() }
        var pending = 0
        func fold() {
            guard let lanes, pending > 0 else { return }
            Self.fold(lanes, into: &counts)
            pending = 0
        }
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: Self.chunkSize) { indices in
            var offset = 0
            while offset < values.count {
                let chunk = UnsafeBufferPointer(rebasing: values[offset..<Swift.min(values.count, offset + Self.chunkSize)])
                offset += chunk.count
                guard let (low, high) = Self.finiteRange(chunk) else {
                    fold()
                    addSkippingNonFinite(chunk)
                    continue
                }
                if count == 0 || low < min || high > max {
                    fold()
                    include(low: low, high: high)
                }
                Self.binIndices(chunk, exponent: exponent, start: windowStart, magnitude: Swift.max(-min, max),
                                into: indices.baseAddress!)
                if let lanes {
                    Self.countLaned(indices.baseAddress!, chunk.count, into: lanes)
                    pending += chunk.count
                    if pending >= 1 << 30 { fold() }
                } else {
                    Self.countDirect(indices.baseAddress!, chunk.count, into: &counts)
                }
                count += chunk.count
            }
        }
        fold()
    }

    /// The slow path for a chunk holding NaN or infinities: they are counted apart and skipped.
    private mutating func addSkippingNonFinite(_ values: UnsafeBufferPointer<Float>) {
        var low = Float.infinity, high = -Float.infinity, finite = 0
        for x in values where x.isFinite {
            low = Swift.min(low, x)
            high = Swift.max(high, x)
            finite += 1
        }
        nonFinite += values.count - finite
        guard finite > 0 else { return }
        include(low: low, high: high)
        for x in values where x.isFinite {
            counts[binIndex(of: x) - windowStart] += 1
        }
        count += finite
    }

    /// The histogram of max(x, floor) over the same values: the distribution readers that give one
    /// result below `floor` see (`ReaderFloor`). The bins below the floor's bin move into it, at the
    /// same width, which may be wider than adding those values afresh would choose: a histogram to
    /// measure on, not to store or merge. Itself when nothing lies below the floor.
    public func raised(to floor: Float) -> Histogram {
        guard count > 0, floor > min else { return self }
        var copy = self
        let first = binIndex(of: floor)
        copy.min = floor
        copy.max = Swift.max(max, floor)
        copy.windowStart = first & ~1
        copy.counts = [Int](repeating: 0, count: Self.binCount)
        for (local, n) in counts.enumerated() where n > 0 {
            copy.counts[Swift.max(windowStart + local, first) - copy.windowStart] += n
        }
        return copy
    }

    /// Adds the values of an array (convenience for tests and small inputs).
    public mutating func add(_ values: [Float]) {
        values.withUnsafeBufferPointer { add($0) }
    }

    /// Adds everything `other` holds; the result is what one pass over both inputs gives.
    public mutating func merge(_ other: Histogram) {
        nonFinite += other.nonFinite
        guard other.count > 0 else { return }
        include(low: other.min, high: other.max, atLeast: other.exponent)
        let shift = exponent - other.exponent
        for (local, n) in other.counts.enumerated() where n > 0 {
            let index = (other.windowStart + local) >> shift
            counts[index - windowStart] += n
        }
        count += other.count
    }

    /// Widens min/max to `[low, high]`, coarsens and moves the window so the new range fits.
    private mutating func include(low: Float, high: Float, atLeast floorExponent: Int = minimumExponent) {
        let newMin = (count == 0 ? low : Swift.min(min, low)) + 0
        let newMax = (count == 0 ? high : Swift.max(max, high)) + 0
        var target = Swift.max(floorExponent, Self.resolutionFloor(newMin, newMax))
        if count > 0 { target = Swift.max(target, exponent) }
        target = Self.fittingExponent(newMin, newMax, from: target)
        let newStart = Self.index(newMin, exponent: target) & ~1
        if count > 0 {
            var moved = [Int](repeating: 0, count: Self.binCount)
            let shift = target - exponent
            for (local, n) in counts.enumerated() where n > 0 {
                moved[((windowStart + local) >> shift) - newStart] += n
            }
            counts = moved
        } else {
            counts = [Int](repeating: 0, count: Self.binCount)
        }
        min = newMin
        max = newMax
        exponent = target
        windowStart = newStart
    }

    /// Fails unless `exponent` is the width an add of `[min, max]` gives (the canonical one).
    static func checkGeometry(min: Float, max: Float, exponent: Int) throws {
        guard min.isFinite, max.isFinite, min <= max,
              exponent == fittingExponent(min, max, from: resolutionFloor(min, max))
        else {
            throw QConvertError("histogram geometry (min \(min), max \(max), exponent \(exponent)) is not one qconvert produces")
        }
    }

    /// `floor(x / 2^e)`, exact: a float32 times a power of two in [2^-128, 2^160] is a Double product
    /// without rounding, and the resolution floor keeps the quotient below 2^25 in magnitude.
    static func index(_ x: Float, exponent: Int) -> Int {
        Int((Double(x) * Double(sign: .plus, exponent: -exponent, significand: 1)).rounded(.down))
    }

    /// Whether `[low, high]` fits one window at width `2^e`.
    static func fits(_ low: Float, _ high: Float, exponent e: Int) -> Bool {
        index(high, exponent: e) - (index(low, exponent: e) & ~1) < binCount
    }

    /// The smallest `e >= start` at which `[low, high]` fits. Starts from a lower bound derived from
    /// the range (at `2^e <= range / 4096` the data spans more than 2048 bins) to skip hopeless widths.
    static func fittingExponent(_ low: Float, _ high: Float, from start: Int) -> Int {
        let range = Double(high) - Double(low)
        var e = start
        if range > 0 { e = Swift.max(e, Int(range.exponent) - 12) }
        while !fits(low, high, exponent: e) { e += 1 }
        return e
    }

    /// The finest width allowed for data within `[low, high]`: one float32 ulp of the largest
    /// magnitude (finer bins cannot separate values), and never below `2^minimumExponent`.
    static func resolutionFloor(_ low: Float, _ high: Float) -> Int {
        let magnitude = Swift.max(abs(low), abs(high))
        guard magnitude > 0 else { return minimumExponent }
        return Swift.max(minimumExponent, Int(magnitude.exponent) - 23)
    }
}
