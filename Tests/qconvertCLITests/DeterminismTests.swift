import QConvert
import QConvertTestSupport
import Testing

/// Same model, data and flags give byte-identical files (issue 9): `qconvert quantize` on every
/// fixture model, run with one thread, with two, and with two again, writes the same quantized model
/// and the same statistics file each time.
@Suite struct DeterminismTests {
    let temporary = TemporaryDirectories()

    /// Fixtures with calibration samples quantize statically (calibration is what threads split);
    /// the others (unknown_op) quantize weights only.
    static let cases = Fixtures.models()

    @Test(arguments: cases)
    func quantizeIsByteIdenticalAcrossRunsAndThreads(_ fixture: FixtureCase) throws {
        let calib = fixture.directory + "/calib"
        let hasSamples = Directory.exists(calib)
        var outputs: [[UInt8]] = []
        var stats: [[UInt8]] = []
        for (run, threads) in [1, 2, 2].enumerated() {
            let dir = temporary.make()
            var arguments = [fixture.modelPath, "--threads", String(threads), "--quiet", "-o", dir + "/q.onnx"]
            arguments += hasSamples ? ["--calib", calib, "--save-stats", dir + "/stats.json"] : ["--mode", "weight-only"]
            let result = CLIRunner.run(arguments)
            #expect(result.status == 0, "\(fixture) run \(run): \(result.stderr)")
            outputs.append(try #require(FileChecks.read(dir + "/q.onnx")))
            if hasSamples { stats.append(try #require(FileChecks.read(dir + "/stats.json"))) }
        }
        #expect(outputs[0].count > 0)
        #expect(outputs[1] == outputs[0], "\(fixture): --threads 2 differs from --threads 1")
        #expect(outputs[2] == outputs[1], "\(fixture): a second --threads 2 run differs")
        #expect(Set(stats).count <= 1, "\(fixture): statistics differ between runs")
    }
}
