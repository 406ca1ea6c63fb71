import Foundation
@testable import QConvert
import Testing

/// The progress line's text (hand-computed rate and ETA) and its redraw throttling.
@Suite struct ProgressBarTests {
    /// 12 of 30 after 3 s: 4 samples/s, 18 left -> 4.5 s, shown rounded up as 0:05; 8 of 20 cells.
    @Test func lineWhileRunning() {
        #expect(ProgressBar.line(label: "calibrating", done: 12, total: 30, unit: "samples", elapsed: 3)
                == "calibrating [########............] 12/30 samples  4.0 samples/s  ETA 0:05")
    }

    @Test func lineWhenDoneShowsTheElapsedTime() {
        #expect(ProgressBar.line(label: "c", done: 30, total: 30, unit: "samples", elapsed: 7.5, width: 4)
                == "c [####] 30/30 samples  4.0 samples/s  0:08")
        #expect(ProgressBar.line(label: "c", done: 0, total: 30, unit: "samples", elapsed: 0, width: 4) == "c [....] 0/30 samples")
    }

    @Test func durations() {
        #expect(ProgressBar.duration(59.2) == "1:00")
        #expect(ProgressBar.duration(3725) == "1:02:05")
    }

    /// Redraws at most every 0.1 s, always on the last sample; `finish` ends the line once.
    @Test func throttling() {
        let output = Output()
        var time = 0.0
        let bar = ProgressBar(label: "c", total: 3, write: output.append, clock: { time })
        time = 0.05
        bar.update(1)
        time = 0.08
        bar.update(2)
        time = 0.09
        bar.update(3)
        bar.finish()
        bar.finish()
        #expect(output.text.filter { $0 == "\r" }.count == 2)
        #expect(output.text.hasSuffix("3/3 samples  33 samples/s  0:01\n"))
    }
}

/// Collects what the bar writes, instead of stderr.
final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private var written = ""
    func append(_ text: String) { lock.withLock { written += text } }
    var text: String { lock.withLock { written } }
}
