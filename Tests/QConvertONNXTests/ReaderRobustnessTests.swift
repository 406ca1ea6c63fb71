#if canImport(Glibc)
import Glibc
#endif
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Truncated and byte-flipped copies of a real model: every one either loads or fails with a
/// QConvertError; none crashes. Uses ppocr_cls from ../shared/real-models when fetched (CI fetches
/// it; QCONVERT_REAL names the cache), else the largest fixture.
@Suite struct ReaderRobustnessTests {
    static func sampleModel() -> (name: String, bytes: [UInt8]) {
        let real = (getenv("QCONVERT_REAL").map { String(cString: $0) } ?? (String(cString: getenv("HOME")) + "/.cache/qconvert-real"))
            + "/models/ppocr_cls.onnx"
        if let bytes = FileChecks.read(real) { return (real, bytes) }
        let fixture = Fixtures.model("matmul_transformer_block").modelPath
        return (fixture, FileChecks.read(fixture) ?? [])
    }

    /// Reads from memory; returns whether it loaded. Anything but success or QConvertError fails the test.
    func outcome(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: nil) }
            return true
        } catch is QConvertError {
            return false
        } catch {
            Issue.record("unexpected error \(error)")
            return false
        }
    }

    @Test func truncatedPrefixesAtFiftyCutPoints() {
        let (name, bytes) = Self.sampleModel()
        #expect(bytes.count > 1000, "\(name) not readable")
        var loaded = 0
        for cut in 0..<50 {
            let length = bytes.count * cut / 50
            if outcome(Array(bytes.prefix(length))) { loaded += 1 }
        }
        // A prefix can be a valid smaller message only by accident; almost all must be rejected.
        #expect(loaded < 50)
    }

    @Test func twoHundredByteFlippedCopies() {
        let (_, bytes) = Self.sampleModel()
        var generator = SeededGenerator(seed: 2026)
        var loaded = 0, rejected = 0
        for _ in 0..<200 {
            var copy = bytes
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                let index = Int.random(in: 0..<copy.count, using: &generator)
                copy[index] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            }
            if outcome(copy) { loaded += 1 } else { rejected += 1 }
        }
        #expect(loaded + rejected == 200)
    }
}
