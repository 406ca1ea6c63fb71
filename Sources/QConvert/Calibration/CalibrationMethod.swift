import QConvertIR

/// How a tensor's clipping range is chosen from its calibration statistics: the `--method` flag.
///
/// Why an enum with a payload: the CLI parses `minmax|percentile|entropy|mse` plus `--percentile P`
/// into one typed value, and `observer` maps it to the observer that states the formula.
public enum CalibrationMethod: Hashable, Sendable, CustomStringConvertible {
    case minMax
    /// Clip the tails beyond this percentile (above 50, at most 100; `observer()` checks it).
    case percentile(Double)
    case entropy
    case mse

    /// The names the CLI accepts, in the order help lists them.
    public static let names = ["minmax", "percentile", "entropy", "mse"]

    /// Parses a CLI name; `percentile` (above 50, at most 100) is used by the `percentile` method only.
    public init(name: String, percentile: Double = PercentileObserver.defaultPercentile) throws {
        switch name.lowercased() {
        case "minmax": self = .minMax
        case "percentile":
            try PercentileObserver.check(percentile)
            self = .percentile(percentile)
        case "entropy": self = .entropy
        case "mse": self = .mse
        default: throw QConvertError("unknown calibration method '\(name)' (use \(Self.names.joined(separator: ", ")))")
        }
    }

    public var description: String {
        switch self {
        case .minMax: "minmax"
        case .percentile(let p): "percentile \(p)"
        case .entropy: "entropy"
        case .mse: "mse"
        }
    }

    /// The observer that states the method's formula; fails for a percentile outside (50, 100], which
    /// the `.percentile` case itself cannot rule out.
    public func observer() throws -> any RangeObserver {
        switch self {
        case .minMax: MinMaxObserver()
        case .percentile(let p): try PercentileObserver(percentile: p)
        case .entropy: EntropyObserver()
        case .mse: MSEObserver()
        }
    }
}
