import Foundation

/// A one-line progress bar on stderr for long loops: `label [#####.....] done/total, rate/s, ETA`.
///
/// Thread-safe (workers call `update` directly) and throttled to ten redraws a second. Callers
/// decide whether to draw at all: only when stderr is a terminal and the user did not ask for quiet
/// (`ProgressBar.enabled(quiet:)`), so logs and pipes never receive carriage returns.
public final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let total: Int
    private let unit: String
    private let write: (String) -> Void
    private let clock: () -> Double
    private let start: Double
    private let lock = NSLock()
    private var lastDraw = -Double.infinity
    private var drawn = false

    /// `write` and `clock` default to stderr and the monotonic clock; tests substitute them.
    public init(label: String, total: Int, unit: String = "samples",
                write: @escaping (String) -> Void = StandardError.write, clock: @escaping () -> Double = ProgressBar.now) {
        self.label = label
        self.total = total
        self.unit = unit
        self.write = write
        self.clock = clock
        start = clock()
    }

    /// Whether a bar should be drawn: stderr is a terminal and not `--quiet`.
    public static func enabled(quiet: Bool) -> Bool { !quiet && StandardError.isTerminal }

    /// Records that `done` of `total` are complete; redraws if 0.1 s passed or the work is done.
    public func update(_ done: Int) {
        lock.withLock {
            let now = clock()
            guard now - lastDraw >= 0.1 || done >= total else { return }
            lastDraw = now
            drawn = true
            write("\r" + Self.line(label: label, done: done, total: total, unit: unit, elapsed: now - start))
        }
    }

    /// Ends the line, if anything was drawn.
    public func finish() {
        lock.withLock {
            if drawn { write("\n") }
            drawn = false
        }
    }

    /// The bar's text: `calibrating [########............]  12/30 samples  4.0 samples/s  ETA 0:05`.
    /// The rate is done / elapsed; the ETA is (total - done) / rate, shown once a rate is known.
    public static func line(label: String, done: Int, total: Int, unit: String, elapsed: Double, width: Int = 20) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        var text = "\(label) \(bar) \(done)/\(total) \(unit)"
        guard done > 0, elapsed > 0 else { return text }
        let rate = Double(done) / elapsed
        text += "  " + Formatting.fixed(rate, digits: rate < 10 ? 1 : 0) + " \(unit)/s"
        text += done < total ? "  ETA " + duration(Double(total - done) / rate) : "  " + duration(elapsed)
        return text
    }

    /// `m:ss`, or `h:mm:ss` from an hour up.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60)
        let ss = s < 10 ? "0\(s)" : "\(s)"
        if h > 0 { return "\(h):" + (m < 10 ? "0\(m)" : "\(m)") + ":" + ss }
        return "\(m):" + ss
    }

    public static func now() -> Double { OpProfile.now() }
}
