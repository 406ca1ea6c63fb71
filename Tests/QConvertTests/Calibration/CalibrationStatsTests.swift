import Foundation
@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The statistics file: exact round trip, model identity, merging, and ranges by method.
@Suite struct CalibrationStatsTests {
    let temporary = TemporaryDirectories()

    static func model(_ input: String = "x") -> Model {
        Model(graph: Graph(
            nodes: [Node(name: "relu", opType: "Relu", inputs: [input], outputs: ["y"])],
            inputs: [ValueInfo(name: input, elementType: .float, shape: [.value(1), .value(4)])],
            outputs: [ValueInfo(name: "y", elementType: .float, shape: [.value(1), .value(4)])]
        ))
    }

    static func stats(_ values: [Float], samples: [String]) -> CalibrationStats {
        var h = Histogram()
        h.add(values)
        var y = Histogram()
        y.add(values.map { max($0, 0) })
        return CalibrationStats(model: .init(model()), sampleCount: samples.count, samples: samples,
                                tensors: ["x": h, "y": y])
    }

    @Test func saveAndLoadRoundTrip() throws {
        let dir = temporary.make()
        let stats = Self.stats([-1.5, 0.1, 2.75, 1e-30], samples: ["a.npy", "b.npy"])
        try stats.save(to: dir + "/stats.json")
        let loaded = try CalibrationStats.load(path: dir + "/stats.json")
        #expect(loaded == stats)
        let text = String(decoding: try #require(FileChecks.read(dir + "/stats.json")), as: UTF8.self)
        #expect(text.hasPrefix(#"{"format":"qconvert-calibration-stats","model":{"fingerprint":""#))
        #expect(text.contains(#""sample_count":2,"samples":["a.npy","b.npy"],"tensors":[{"count":4,"#))
    }

    @Test func tensorNamesAreKeptVerbatim() throws {
        var stats = Self.stats([1], samples: ["a"])
        stats.tensors = ["conv1/Relu_Output:0": stats.tensors["x"]!, "snake_case_name": stats.tensors["y"]!]
        let back = try JSONText.decode(CalibrationStats.self, from: Data(JSONText.encode(stats, pretty: false).utf8))
        #expect(Set(back.tensors.keys) == ["conv1/Relu_Output:0", "snake_case_name"])
    }

    @Test func modelIdentity() throws {
        let stats = Self.stats([1], samples: ["a"])
        try stats.check(against: Self.model())
        #expect(throws: QConvertError.self) { try stats.check(against: Self.model("renamed")) }
        #expect(ModelFingerprint.of(Self.model()) != ModelFingerprint.of(Self.model("renamed")))
        #expect(ModelFingerprint.of(Self.model()).count == 16)
    }

    /// Statistics must hold every float32 activation of the model they are loaded for; a value whose
    /// type is not float32 (a Shape of an activation) has no histogram and is not asked for.
    @Test func checkAsksForEveryFloatActivationOnly() throws {
        var b = GraphBuilder()
        let x = b.input("x", [.param("n"), .value(4)])
        let r = b.node("Relu", [x])
        let shape = b.node("Shape", [r])
        b.output(b.node("Reshape", [r, shape]))
        let model = try Preparation.run(b.model).model
        let samples = try CalibrationTestModels.npyFolder(CalibrationTestModels.randomSamples(2), in: temporary)
        var stats = try Calibrator.calibrate(model, dataset: CalibrationDataset(directory: samples, inputs: model.graph.runtimeInputs),
                                             options: .init(threads: 1))
        #expect(stats.tensors[r] != nil && stats.tensors[shape] == nil)
        try stats.check(against: model)
        stats.tensors.removeValue(forKey: r)
        #expect(throws: QConvertError("statistics have no histogram for tensor '\(r)' of this model (the file is incomplete or was edited)")) {
            try stats.check(against: model)
        }
    }

    /// An edited file checked against its own model: a renamed input or a histogram for a tensor the
    /// model does not calibrate is refused, as `merge-stats` refuses them between files.
    @Test func checkRefusesEditedInputsAndExtraTensors() throws {
        var renamed = Self.stats([1], samples: ["a"])
        renamed.model.inputs = ["zzz"]
        #expect(throws: QConvertError("statistics name the model's inputs 'zzz', this model's are 'x' (the file was edited)")) {
            try renamed.check(against: Self.model())
        }
        var extra = Self.stats([1], samples: ["a"])
        extra.tensors["not_in_the_model"] = extra.tensors["x"]
        #expect(throws: QConvertError("statistics have a histogram for 'not_in_the_model', which is not a value of this model (the file was edited)")) {
            try extra.check(against: Self.model())
        }
    }

    @Test func mergeEqualsOneRun() throws {
        let a: [Float] = [-1, 0.5, 3], b: [Float] = [7, -0.25]
        let merged = try CalibrationStats.merged([Self.stats(a, samples: ["a"]), Self.stats(b, samples: ["b"])])
        #expect(merged == Self.stats(a + b, samples: ["a", "b"]))
    }

    /// Counts read from files that add up past Int.max: an error naming the tensor, not a trap.
    @Test func mergeRejectsCountsOverflowing() throws {
        let json = #"{"count":6000000000000000000,"counts":[3000000000000000000,-511,1000000000000000000,-511,1000000000000000000,-511,1000000000000000000],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#
        let huge = try JSONText.decode(Histogram.self, from: Data(json.utf8))
        let part = CalibrationStats(model: .init(Self.model()), sampleCount: 1, samples: ["a"], tensors: ["x": huge])
        #expect(throws: QConvertError("counts of tensor 'x' add up to more than \(Int.max)")) {
            _ = try CalibrationStats.merged([part, part])
        }
    }

    @Test func mergeRejectsAnotherModel() {
        var other = Self.stats([1], samples: ["b"])
        other.model = .init(Self.model("z"))
        #expect(throws: QConvertError.self) { try CalibrationStats.merged([Self.stats([1], samples: ["a"]), other]) }
    }

    /// Same fingerprint, edited input list: the message names the inputs, not two equal fingerprints.
    @Test func mergeNamesDifferingInputs() {
        var other = Self.stats([1], samples: ["b"])
        other.model.inputs = ["zzz"]
        let first = Self.stats([1], samples: ["a"])
        let list = first.model.inputs.map { "'\($0)'" }.joined(separator: ", ")
        #expect(throws: QConvertError("statistics 2 name the model's inputs 'zzz', the first \(list) (a file was edited)")) {
            try CalibrationStats.merged([first, other])
        }
    }

    @Test func rangesByMethod() throws {
        let stats = Self.stats([-1, 0.5, 3], samples: ["a"])
        #expect(try stats.ranges(method: .minMax, scheme: .uint8Asymmetric) == ["x": -1...3, "y": 0...3])
        #expect(try stats.ranges(method: .minMax, scheme: .int8Symmetric, threads: 1) == ["x": -3...3, "y": -3...3])
        let all = try [CalibrationMethod.percentile(99), .entropy, .mse].map { try stats.ranges(method: $0, scheme: .uint8Asymmetric) }
        for ranges in all { #expect(Set(ranges.keys) == ["x", "y"]) }
        // `.percentile` can hold any number (a stats file loaded with any --percentile): refused, not a trap.
        #expect(throws: QConvertError("percentile must be above 50 and at most 100, got 0.0")) {
            try stats.ranges(method: .percentile(0), scheme: .uint8Asymmetric)
        }
    }

    @Test func methodNames() throws {
        #expect(try CalibrationMethod(name: "MinMax") == .minMax)
        #expect(try CalibrationMethod(name: "percentile", percentile: 99.9) == .percentile(99.9))
        #expect(throws: QConvertError.self) { try CalibrationMethod(name: "percentile", percentile: 101) }
        #expect(throws: QConvertError.self) { try CalibrationMethod(name: "kl") }
    }

    @Test(arguments: [
        ("", "not a valid statistics file"),
        ("{}", "missing 'format'"),
        // Keys as the file spells them, and a valid file with a count that is not whole.
        (#"{"format":"qconvert-calibration-stats","version":1,"model":{"fingerprint":"0","inputs":[]},"sample_count":"two","samples":[],"tensors":[]}"#, "wrong type at .sample_count"),
        (#"{"format":"qconvert-calibration-stats","version":1,"model":{"fingerprint":"0","inputs":[]},"sample_count":1.5,"samples":[],"tensors":[]}"#, "a number does not fit its field"),
        (#"{"format":"other","version":1}"#, "not a qconvert statistics file"),
        // Foundation keeps one of two equal keys; a valid file otherwise.
        (#"{"format":"qconvert-calibration-stats","version":1,"model":{"fingerprint":"0","inputs":[]},"sample_count":1,"samples":["a"],"tensors":[],"sample_count":1}"#, "key 'sample_count' appears twice in one object"),
        (#"{"format":"qconvert-calibration-stats","version":99}"#, "newer"),
        (#"{"format":"qconvert-calibration-stats","version":0}"#, "version 0 does not exist"),
        (#"{"format":"qconvert-calibration-stats","version":1,"model":{"fingerprint":"0","inputs":[]},"sample_count":2,"samples":["a"],"tensors":[]}"#, "does not match"),
        (#"{"format":"qconvert-calibration-stats","version":1,"model":{"fingerprint":"0","inputs":[]},"sample_count":1,"samples":["a"],"tensors":[{"name":"t","count":1,"non_finite":0,"min":1,"max":1,"exponent":-23,"first":8388608,"counts":[2]}]}"#, "tensor 't': histogram bins do not add up"),
    ])
    func loadErrorsAreOneLineNamingTheFile(content: String, message: String) {
        let path = temporary.make() + "/bad.json"
        FileChecks.write(Array(content.utf8), to: path)
        #expect {
            _ = try CalibrationStats.load(path: path)
        } throws: { error in
            let text = (error as? QConvertError)?.description ?? ""
            return text.hasPrefix(path + ": ") && text.contains(message) && !text.contains("\n")
        }
    }
}
