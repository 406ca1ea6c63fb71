import QConvertIR

/// What calibration learned about a model's activations: per tensor, the streamed statistics every
/// observer reads. Saved as JSON so a model can be quantized again (another method, another scheme)
/// without re-running calibration, and so shards calibrated on several machines can be merged.
///
/// The file (compact JSON, keys sorted, one object):
///
///     {
///       "format": "qconvert-calibration-stats",
///       "version": 1,
///       "model": {"fingerprint": "9f0c2d4e8a1b3c5d", "inputs": ["x"]},
///       "sample_count": 64,
///       "samples": ["calib/0000.npy", "calib/0001.npy", "calib/big.npy[3]", ...],
///       "sample_digests": ["3f9a0c6e12d4b785", "07c1d2e3f4a5b6c7", ...],
///       "tensors": [
///         {"name": "conv1_out", "count": 1048576, "non_finite": 0, "min": -3.25, "max": 7.5,
///          "exponent": -8, "first": -832, "counts": [2, -3, 1, 5, ...]},
///         ...
///       ]
///     }
///
/// `model.fingerprint`: `ModelFingerprint` of the model calibrated (structure and value names, not
/// weights); loading stats for a model with another fingerprint is an error. `samples`: where each
/// sample came from, in calibration order (`file[k]` is the k-th batch of a file split into
/// samples). `sample_digests` (absent from older files): each sample's `SampleDigest`, in the same
/// order, so merged shards that share samples are found by content. `tensors`: sorted by name; each
/// a `Histogram` in its JSON form (see `Histogram+Codable.swift`: bins `2^exponent` wide, `counts`
/// from bin index `first`, a negative entry `-n` meaning `n` empty bins). `count` is the number of
/// finite values over all samples, `non_finite` the NaN/infinite ones (excluded from everything
/// else). Readers reject a `version` newer than theirs.
public struct CalibrationStats: Codable, Equatable, Sendable {
    public static let formatName = "qconvert-calibration-stats"
    public static let currentVersion = 1

    /// Which model the statistics describe.
    public struct ModelIdentity: Codable, Equatable, Sendable {
        public var fingerprint: String
        public var inputs: [String]

        public init(_ model: Model) {
            fingerprint = ModelFingerprint.of(model)
            inputs = model.graph.runtimeInputs.map(\.name)
        }
    }

    /// One tensor's statistics in the file.
    struct TensorEntry: Codable {
        var name: String
        var histogram: Histogram

        init(name: String, histogram: Histogram) {
            self.name = name
            self.histogram = histogram
        }

        enum CodingKeys: String, CodingKey { case name }

        init(from decoder: Decoder) throws {
            name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
            do {
                histogram = try Histogram(from: decoder)
            } catch let error as QConvertError {
                throw error.context("tensor '\(name)'")
            }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try histogram.encode(to: encoder)
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, version, model, sampleCount, samples, sampleDigests, tensors
    }

    public var model: ModelIdentity
    public var sampleCount: Int
    /// Source of each sample, in order.
    public var samples: [String]
    /// Each sample's `SampleDigest`, in order; nil in files from before they were recorded.
    public var sampleDigests: [String]?
    /// Statistics by tensor name.
    public var tensors: [String: Histogram]

    /// Samples that came more than once (merged shards that shared samples: each counted every
    /// time), by the source that repeats one, sorted. Same content when the digests are known (a path
    /// alone says neither that two shards' calib/0000.npy differ nor that a/x.npy and /d/a/x.npy do
    /// not); same source otherwise.
    public var repeatedSamples: [String] {
        let keys = sampleDigests ?? samples
        var seen = Set<String>(), repeated = Set<String>()
        for (key, sample) in zip(keys, samples) where !seen.insert(key).inserted { repeated.insert(sample) }
        return repeated.sorted()
    }

    public init(model: ModelIdentity, sampleCount: Int, samples: [String], sampleDigests: [String]? = nil, tensors: [String: Histogram]) {
        self.model = model
        self.sampleCount = sampleCount
        self.samples = samples
        self.sampleDigests = sampleDigests
        self.tensors = tensors
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let format = try container.decode(String.self, forKey: .format)
        guard format == Self.formatName else { throw QConvertError("not a qconvert statistics file (format '\(format)')") }
        let version = try container.decode(Int.self, forKey: .version)
        guard version >= 1 else { throw QConvertError("statistics format version \(version) does not exist (versions start at 1)") }
        guard version <= Self.currentVersion else {
            throw QConvertError("statistics format version \(version) is newer than this qconvert reads (\(Self.currentVersion))")
        }
        model = try container.decode(ModelIdentity.self, forKey: .model)
        sampleCount = try container.decode(Int.self, forKey: .sampleCount)
        samples = try container.decode([String].self, forKey: .samples)
        guard sampleCount == samples.count else {
            throw QConvertError("sample_count \(sampleCount) does not match the \(samples.count) samples listed")
        }
        sampleDigests = try container.decodeIfPresent([String].self, forKey: .sampleDigests)
        if let sampleDigests, sampleDigests.count != sampleCount {
            throw QConvertError("sample_count \(sampleCount) does not match the \(sampleDigests.count) sample digests listed")
        }
        var tensors: [String: Histogram] = [:]
        for entry in try container.decode([TensorEntry].self, forKey: .tensors) {
            guard tensors.updateValue(entry.histogram, forKey: entry.name) == nil else {
                throw QConvertError("tensor '\(entry.name)' is listed twice")
            }
        }
        self.tensors = tensors
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatName, forKey: .format)
        try container.encode(Self.currentVersion, forKey: .version)
        try container.encode(model, forKey: .model)
        try container.encode(sampleCount, forKey: .sampleCount)
        try container.encode(samples, forKey: .samples)
        try container.encodeIfPresent(sampleDigests, forKey: .sampleDigests)
        let entries = tensors.keys.sorted().map { TensorEntry(name: $0, histogram: tensors[$0]!) }
        try container.encode(entries, forKey: .tensors)
    }
}
