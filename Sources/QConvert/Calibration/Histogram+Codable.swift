import QConvertIR

/// The JSON form of a histogram, compact because a model has hundreds of them:
///
///     {"count": 1000, "non_finite": 0, "min": -1.5, "max": 3.25,
///      "exponent": -9, "first": -768, "counts": [4, 0, 7, -120, 3, ...]}
///
/// `exponent`: bins are `2^exponent` wide. `first`: index of the bin holding `min`
/// (`floor(min / 2^exponent)`); `counts` run from there to the bin holding `max`. A negative entry
/// `-n` stands for `n` empty bins in a row. The window start, being `first` rounded down to even,
/// is not stored. An empty histogram has count 0, no min/max, and no bins.
extension Histogram: Codable {
    enum CodingKeys: String, CodingKey {
        case count, nonFinite, min, max, exponent, first, counts
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(nonFinite, forKey: .nonFinite)
        guard count > 0 else { return }
        // Double so that every float32 prints and parses back exactly.
        try container.encode(Double(min), forKey: .min)
        try container.encode(Double(max), forKey: .max)
        try container.encode(exponent, forKey: .exponent)
        let first = binIndex(of: min)
        try container.encode(first, forKey: .first)
        let used = counts[(first - windowStart)...(binIndex(of: max) - windowStart)]
        try container.encode(Self.runLengthEncoded(used), forKey: .counts)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let count = try container.decode(Int.self, forKey: .count)
        let nonFinite = try container.decode(Int.self, forKey: .nonFinite)
        guard count > 0 else {
            // Counted bins beside a count of 0 contradict it (the init refuses them); they were ignored.
            let bins = try container.decodeIfPresent([Int].self, forKey: .counts).map(Self.runLengthDecoded) ?? []
            try self.init(count: count, nonFinite: nonFinite, min: 0, max: 0, exponent: 0, counts: bins.contains { $0 != 0 } ? bins : [])
            return
        }
        let min = try Self.float32(container.decode(Double.self, forKey: .min), "min")
        let max = try Self.float32(container.decode(Double.self, forKey: .max), "max")
        let exponent = try container.decode(Int.self, forKey: .exponent)
        let first = try container.decode(Int.self, forKey: .first)
        try Self.checkGeometry(min: min, max: max, exponent: exponent)
        let used = try Self.runLengthDecoded(try container.decode([Int].self, forKey: .counts))
        guard first == Self.index(min, exponent: exponent), first + used.count - 1 == Self.index(max, exponent: exponent) else {
            throw QConvertError("histogram bins must run from the bin holding min to the bin holding max")
        }
        let start = first & ~1
        guard first - start + used.count <= Self.binCount else {
            throw QConvertError("histogram has \(used.count) bins from index \(first), more than the window holds")
        }
        var window = [Int](repeating: 0, count: Self.binCount)
        window.replaceSubrange((first - start)..<(first - start + used.count), with: used)
        try self.init(count: count, nonFinite: nonFinite, min: min, max: max, exponent: exponent, counts: window)
    }

    /// A stored bound as the float32 it was written from; one past float32's range would become an
    /// infinity, and the error would then name a value the file does not hold.
    static func float32(_ value: Double, _ key: String) throws -> Float {
        guard value.isFinite, Float(value).isFinite else { throw QConvertError("histogram \(key) \(value) is outside float32's range") }
        return Float(value)
    }

    /// Counts with each run of zeros replaced by minus its length.
    static func runLengthEncoded(_ counts: ArraySlice<Int>) -> [Int] {
        var out: [Int] = []
        var zeros = 0
        for n in counts {
            if n == 0 {
                zeros += 1
                continue
            }
            if zeros > 0 { out.append(-zeros) }
            zeros = 0
            out.append(n)
        }
        if zeros > 0 { out.append(-zeros) }
        return out
    }

    /// The counts `runLengthEncoded` stored. A run is reported by its magnitude: the file may hold
    /// Int.min, whose negation traps.
    static func runLengthDecoded(_ encoded: [Int]) throws -> [Int] {
        var out: [Int] = []
        for n in encoded {
            if n >= 0 {
                out.append(n)
            } else {
                guard n > -Self.binCount - 1 else { throw QConvertError("histogram run of \(n.magnitude) empty bins is longer than the window") }
                out.append(contentsOf: repeatElement(0, count: -n))
            }
            guard out.count <= Self.binCount else { throw QConvertError("histogram has more than \(Self.binCount) bins") }
        }
        return out
    }
}
