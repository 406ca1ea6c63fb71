import QConvert
import QConvertTestSupport
import Testing

/// Same model, data and flags give byte-identical files (issue 9): `qconvert quantize` on every
/// fixture model, run with one thread, with two, and (default flags) with two again, writes the same
/// quantized model and the same statistics file each time, in each output form.
@Suite struct DeterminismTests {
    let temporary = TemporaryDirectories()

    /// A fixture and the flags it is quantized with.
    struct Variant: CustomStringConvertible, Sendable {
        let fixture: FixtureCase
        let flags: [String]
        var calib: String? { Directory.exists(fixture.directory + "/calib") ? fixture.directory + "/calib" : nil }
        var description: String { ([fixture.name] + flags).joined(separator: " ") }
    }

    /// Fixtures with calibration samples quantize statically (calibration is what threads split),
    /// as QDQ and as QOperator; every fixture also dynamically, and the ones without samples
    /// (unknown_op) weights-only.
    static let variants: [Variant] = Fixtures.models().flatMap { fixture -> [Variant] in
        let flagSets: [[String]] = Directory.exists(fixture.directory + "/calib")
            ? [[], ["--format", "qoperator"], ["--mode", "dynamic"]]
            : [["--mode", "weight-only"], ["--mode", "dynamic"]]
        return flagSets.map { Variant(fixture: fixture, flags: $0) }
    }

    @Test(arguments: variants)
    func quantizeIsByteIdenticalAcrossRunsAndThreads(_ variant: Variant) throws {
        let isStatic = !variant.flags.contains("--mode")
        var outputs: [[UInt8]] = []
        var stats: [[UInt8]] = []
        for threads in variant.flags.isEmpty ? [1, 2, 2] : [1, 2] {
            let dir = temporary.make()
            var arguments = [variant.fixture.modelPath, "--threads", String(threads), "--quiet", "-o", dir + "/q.onnx"] + variant.flags
            if isStatic, let calib = variant.calib { arguments += ["--calib", calib, "--save-stats", dir + "/stats.json"] }
            let result = CLIRunner.run(arguments)
            #expect(result.status == 0, "\(variant) --threads \(threads): \(result.stderr)")
            outputs.append(try #require(FileChecks.read(dir + "/q.onnx")))
            if isStatic { stats.append(try #require(FileChecks.read(dir + "/stats.json"))) }
        }
        #expect(outputs[0].count > 0)
        #expect(outputs[1] == outputs[0], "\(variant): --threads 2 differs from --threads 1")
        #expect(outputs.count < 3 || outputs[2] == outputs[1], "\(variant): a second --threads 2 run differs")
        #expect(Set(stats).count <= 1, "\(variant): statistics differ between runs")
    }
}
