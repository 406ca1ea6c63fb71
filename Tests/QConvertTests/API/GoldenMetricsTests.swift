#if canImport(Glibc)
import Glibc
#endif
import Foundation
import QConvert
import QConvertTestSupport
import Testing

/// Every fixture model quantized as the default run does it, against its committed golden metrics:
/// fails when an output's SQNR drops by more than 0.5 dB, a node moves between int8 and float, or a
/// scale moves by more than 1%. `QCONVERT_RECORD=1 swift test --filter Golden` re-records them.
@Suite struct GoldenMetricsTests {
    let temporary = TemporaryDirectories()

    static let folder: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)  // API/GoldenMetricsTests.swift
        return parts.joined(separator: "/") + "/Golden"
    }()

    static var recording: Bool { getenv("QCONVERT_RECORD").map { String(cString: $0) == "1" } ?? false }

    @Test func everyFixtureModelHasGoldenMetrics() throws {
        #expect(!Fixtures.models().isEmpty)
        for fixture in Fixtures.models() where !Self.recording {
            #expect(FileChecks.exists(Self.path(fixture)), "no golden metrics for \(fixture.name): run QCONVERT_RECORD=1 swift test --filter Golden")
        }
    }

    @Test(arguments: Fixtures.models())
    func quantizationMatchesGolden(fixture: FixtureCase) throws {
        let metrics = try GoldenMetrics.measure(fixture, scratch: temporary.make())
        let path = Self.path(fixture)
        if Self.recording {
            FileChecks.write(Array(try Self.encode(metrics).utf8), to: path)
            return
        }
        guard let bytes = FileChecks.read(path) else {
            Issue.record("no golden metrics at \(path): run QCONVERT_RECORD=1 swift test --filter Golden")
            return
        }
        let golden = try Self.decoder.decode(GoldenMetrics.self, from: Data(bytes))
        let problems = metrics.regressions(from: golden)
        #expect(problems.isEmpty, "\(fixture.name) regressed from \(path):\n\(problems.joined(separator: "\n"))")
    }

    static func path(_ fixture: FixtureCase) -> String { "\(folder)/\(fixture.name).json" }

    /// Sorted keys and one value per line, so a re-recording reads as a diff of what moved.
    static func encode(_ metrics: GoldenMetrics) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(metrics), as: UTF8.self) + "\n"
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
