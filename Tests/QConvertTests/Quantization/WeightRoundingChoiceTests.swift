import QConvertIR
import QConvertTestSupport
import Testing
@testable import QConvert

/// `--weight-rounding auto`: the paired t statistic it decides by, and when it compares at all.
@Suite struct WeightRoundingChoiceTests {
    let directories = TemporaryDirectories()

    @Test func pairedTMatchesAHandComputedValue() {
        // b - a = [2, 3, 1, 2]: mean 2, sample variance 2/3, standard error sqrt(2/3 / 4).
        let t = PairedComparison.t([3, 5, 4, 6], minus: [1, 2, 3, 4])
        #expect(abs(t - 2 / (2.0 / 3 / 4).squareRoot()) < 1e-12)
        #expect(PairedComparison.isBetter([3, 5, 4, 6], than: [1, 2, 3, 4]))
        #expect(!PairedComparison.isBetter([1, 2, 3, 4], than: [3, 5, 4, 6]))
    }

    @Test func noisyOrTooFewDifferencesDoNotCount() {
        // Differences +10, -9, +10, -9: a higher mean, but no better than chance.
        #expect(!PairedComparison.isBetter([20, 1, 20, 1], than: [10, 10, 10, 10]))
        #expect(PairedComparison.t([9, 9], minus: [1, 1]) == 0)
        #expect(PairedComparison.t([2, 2, 2], minus: [1, 1, 1]) == .infinity)
        #expect(PairedComparison.t([1, 1, 1], minus: [1, 1, 1]) == 0)
    }

    private func quantize(calibration: String, rounding: WeightRoundingMethod = .auto,
                          mode: QuantizationOptions.Mode = .static) throws -> QuantizationSummary {
        var options = ModelQuantization.Options(model: Fixtures.model("conv_bn_relu").modelPath)
        options.calibrationDirectory = calibration
        options.output = directories.make() + "/q.onnx"
        options.threads = 1
        options.quantization.weightBits = 8
        options.quantization.weightRounding = rounding
        options.quantization.mode = mode
        return try ModelQuantization.run(options)
    }

    /// 32 samples: 28 calibrate (GPTQ fits the first 16), the last 12 compare the two roundings.
    @Test func withSamplesGPTQDidNotFitBothRoundingsAreComparedAndTheTDecides() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let shape = try Npy.read(path: fixture.directory + "/input_0.npy").shape
        let folder = directories.make()
        var random = RandomTensors(seed: 11)
        for index in 0..<32 { try Npy.write(random.normal(shape), to: folder + "/" + String(format: "%04d.npy", index)) }
        let summary = try quantize(calibration: folder)
        let t = try #require(summary.roundingT)
        #expect(Set(summary.roundingScores.keys) == ["gptq", "nearest"])
        #expect(summary.weightRounding == (t >= PairedComparison.threshold ? "auto: nearest" : "auto: gptq"))
        #expect(summary.text.contains("weight rounding: \(summary.weightRounding)"))
    }

    /// The fixture's 16 samples leave 14 to calibrate: all go to GPTQ, none to compare with. The
    /// summary counts them in weight-only mode too, which does not calibrate (it said 0).
    @Test(arguments: [QuantizationOptions.Mode.static, .weightOnly])
    func withoutSuchSamplesGPTQIsKeptUncompared(mode: QuantizationOptions.Mode) throws {
        let summary = try quantize(calibration: Fixtures.model("conv_bn_relu").directory + "/calib", mode: mode)
        #expect(summary.weightRounding == "auto: gptq" && summary.roundingT == nil && summary.roundingScores.isEmpty)
        #expect(summary.text.contains("nearest rounding not compared") && summary.text.contains("there are 14 in all"))
        guard mode == .static else { return }
        let nearest = try quantize(calibration: Fixtures.model("conv_bn_relu").directory + "/calib", rounding: .nearest)
        #expect(nearest.weightRounding == "nearest" && nearest.stepSeconds["gptq"] == nil)
    }

    /// GPTQ asked for where it cannot run is an error: it was quietly nearest rounding, the output
    /// byte-identical to `--weight-rounding nearest` (found by a review).
    @Test(arguments: [(QuantizationOptions.Mode.weightOnly, "there are none: pass --calib DIR"), (.dynamic, "does not apply to --mode dynamic")])
    func gptqWithoutSamplesOrInDynamicModeIsRefused(mode: QuantizationOptions.Mode, message: String) throws {
        var options = ModelQuantization.Options(model: Fixtures.model("conv_bn_relu").modelPath)
        options.output = directories.make() + "/q.onnx"
        options.quantization.mode = mode
        options.quantization.weightRounding = .gptq
        #expect { try ModelQuantization.run(options) } throws: { ($0 as? QConvertError)?.description.contains(message) == true }
        #expect(!FileChecks.exists(options.output!))
    }
}
