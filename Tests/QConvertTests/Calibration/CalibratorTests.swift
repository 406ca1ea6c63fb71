import Foundation
@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// The calibration runner: what it observes, and results independent of threads and sharding.
@Suite struct CalibratorTests {
    static let model = CalibrationTestModels.relu(width: 64)
    let temporary = TemporaryDirectories()

    func calibrate(_ dir: String, threads: Int, model: Model = model) throws -> CalibrationStats {
        let dataset = try CalibrationDataset(directory: dir, inputs: model.graph.runtimeInputs)
        return try Calibrator.calibrate(model, dataset: dataset, options: .init(threads: threads))
    }

    @Test func defaultTapsAreFloatActivationsNotConstants() throws {
        #expect(try Calibrator.activationNames(Self.model.graph) == ["x", "r", "out"])
    }

    /// A SiLU's gate (Sigmoid: [0, 1] by definition) is not observed; a Softmax whose output a Conv
    /// reads is (the Conv's input range comes from calibration), as is a Sigmoid that is a graph output.
    @Test func knownRangesAreObservedOnlyWhereAComputeLayerReadsThem() throws {
        var b = GraphBuilder(opset: 14)
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 4, 3, 3])
        let y = b.node("Conv", [x, b.constant("w", r.normal([4, 4, 1, 1]))], name: "y")
        let swish = b.node("Mul", [y, b.node("Sigmoid", [y], name: "gate")], name: "swish")
        let probabilities = b.node("Softmax", [swish], ["axis": .int(1)], name: "p")
        b.output(b.node("Conv", [probabilities, b.constant("w2", r.normal([2, 4, 1, 1]))], name: "z"), b.node("Sigmoid", [swish], name: "s"))
        #expect(try Calibrator.activationNames(b.model.graph) == ["x", "y", "swish", "p", "z", "s"])
    }

    /// Two-input fixture: x over the 3 samples is (arange(4) - 1.5) * k for k = 1, 2, 3.
    @Test func statisticsOfTheFixture() throws {
        let model = try ONNXReader.read(path: Fixtures.root + "/calib/two_inputs/model.onnx")
        let stats = try calibrate(Fixtures.root + "/calib/two_inputs/npz_stored", threads: 2, model: model)
        #expect(stats.sampleCount == 3)
        #expect(Set(stats.tensors.keys) == ["x", "y", "x_relu", "y_id", "y_relu"])
        let x = try #require(stats.tensors["x"]), relu = try #require(stats.tensors["x_relu"])
        #expect((x.count, x.min, x.max) == (12, -4.5, 4.5))
        #expect((relu.count, relu.min, relu.max) == (12, 0, 4.5))
        #expect(relu.count(atIndex: 0) == 6)
        let y = try #require(stats.tensors["y_relu"])
        #expect((y.count, y.min, y.max) == (18, 0, 1.25))
        try stats.check(against: model)
    }

    @Test func resultsDoNotDependOnThreads() throws {
        let dir = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(40, width: 64), in: temporary)
        let one = try calibrate(dir, threads: 1)
        #expect(one.tensors["x"]?.count == 40 * 64)
        for threads in [2, 3, 8] {
            #expect(try calibrate(dir, threads: threads) == one)
        }
    }

    /// Issue 5, acceptance 2: 64 samples at once vs 4 shards of 16 merged: identical histograms,
    /// hence identical ranges for every method.
    @Test func shardsMergeToTheSameStatistics() throws {
        let samples = CalibrationTestModels.randomSamples(64, width: 64, seed: 11)
        let all = try calibrate(CalibrationTestModels.npyFolder(samples, in: temporary), threads: 2)
        let shards = try (0..<4).map { shard in
            try calibrate(CalibrationTestModels.npyFolder(Array(samples[(shard * 16)..<(shard * 16 + 16)]), in: temporary), threads: 2)
        }
        let merged = try CalibrationStats.merged(shards)
        #expect(merged.tensors == all.tensors)
        #expect(merged.sampleCount == 64)
        for method in [CalibrationMethod.minMax, .percentile(99.9), .entropy, .mse] {
            for scheme in [QuantizationScheme.uint8Asymmetric, .int8Symmetric] {
                #expect(try merged.ranges(method: method, scheme: scheme) == all.ranges(method: method, scheme: scheme))
            }
        }
    }

    @Test func chosenTensorsOnly() throws {
        let dir = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(3, width: 64), in: temporary)
        let dataset = try CalibrationDataset(directory: dir, inputs: Self.model.graph.runtimeInputs)
        let stats = try Calibrator.calibrate(Self.model, dataset: dataset, options: .init(threads: 1, tensors: ["r"]))
        #expect(Array(stats.tensors.keys) == ["r"])
        #expect(throws: QConvertError("the model has no value named 'nope' to calibrate")) {
            _ = try Calibrator.calibrate(Self.model, dataset: dataset, options: .init(tensors: ["nope"]))
        }
    }

    @Test func progressReportsEverySample() throws {
        let dir = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(10, width: 64), in: temporary)
        let dataset = try CalibrationDataset(directory: dir, inputs: Self.model.graph.runtimeInputs)
        let seen = Counter()
        _ = try Calibrator.calibrate(Self.model, dataset: dataset, options: .init(threads: 3)) { done in seen.record(done) }
        #expect(seen.values.sorted() == Array(1...10))
    }
}

/// Collects progress callbacks from worker threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Int] = []
    func record(_ value: Int) { lock.withLock { recorded.append(value) } }
    var values: [Int] { lock.withLock { recorded } }
}
