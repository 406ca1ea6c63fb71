import Foundation
import QConvertIR
import QConvertTestSupport
import Testing
@testable import QConvert

/// `--method auto` picks the range method on the first calibration samples and confirms it
/// against MinMax on the samples GPTQ did not fit.
@Suite struct RangeMethodChoiceTests {
    let directories = TemporaryDirectories()

    /// 32 samples of N(0, 1); from sample 16 on, one value in 1000 is ±8. The first 8 (the search)
    /// hold no such value, so a method that clips them looks best there; on samples 16-27 (GPTQ did
    /// not fit them) it clips what they hold and MinMax is far ahead: MinMax is taken, and the
    /// held-out samples (28-31, alike) agree. Before, the clipping method was kept.
    @Test func minMaxIsTakenWhenTheFirstSamplesLackTheTails() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let shape = try Npy.read(path: fixture.directory + "/input_0.npy").shape
        let folder = directories.make()
        var random = RandomTensors(seed: 7)
        for index in 0..<32 {
            var values = random.normal(shape).floats()!
            if index >= 16 {
                for i in stride(from: index % 1000, to: values.count, by: 1000) { values[i] = i % 2000 < 1000 ? 8 : -8 }
            }
            try Npy.write(Tensor(shape: shape, scalars: values), to: folder + "/" + String(format: "%04d.npy", index))
        }
        var options = ModelQuantization.Options(model: fixture.modelPath)
        options.calibrationDirectory = folder
        options.output = directories.make() + "/q.onnx"
        options.threads = 1
        let summary = try ModelQuantization.run(options)
        print(summary.text)
        let check = try #require(summary.methodCheck)
        #expect(check.versus != "minmax" && check.switched && check.minMaxSQNR > check.chosenSQNR, "\(check)")
        #expect(summary.method == "auto: minmax")
        #expect(summary.text.contains(", so minmax)"))
        var minMax = options
        minMax.method = .minMax
        minMax.output = directories.make() + "/q.onnx"
        #expect(try ModelQuantization.run(minMax).agreement?.worst == summary.agreement?.worst)
    }
}
