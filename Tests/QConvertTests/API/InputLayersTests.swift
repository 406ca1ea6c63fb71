@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// The model's first layers stay float when that measures better than int8 on calibration samples,
/// beyond noise and by a margin, and only on models deep enough that they are at most a tenth of its
/// compute layers.
@Suite struct InputLayersTests {
    let directories = TemporaryDirectories()

    /// A chain of `depth` 3x3 Conv + Relu layers on [1, 3, 6, 6], quantized on 24 random samples; the
    /// summary and the file written.
    func quantize(depth: Int, floatFirstLayers: Bool = true) throws -> (QuantizationSummary, Model) {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        var h = b.input("x", [1, 3, 6, 6])
        for k in 0..<depth {
            let w = b.constant("w\(k)", r.normal([4, k == 0 ? 3 : 4, 3, 3], std: 0.3))
            h = b.node("Relu", [b.node("Conv", [h, w], ["pads": .ints([1, 1, 1, 1])], name: "conv\(k)")])
        }
        b.output(h)
        var run = try QuantizationCase(b.model, in: directories.make(), samples: 24, inputShape: [1, 3, 6, 6], random: &r)
        run.options.floatFirstLayers = floatFirstLayers
        let summary = try run.run()
        return (summary, try ONNXReader.read(path: run.folder + "/q.onnx"))
    }

    /// Nineteen layers: the shallowest group (the first layer and the one reading its output) holds
    /// two, more than a tenth of them, so nothing is tried.
    @Test func aShallowModelIsNotTried() throws {
        let (summary, _) = try quantize(depth: 19)
        #expect(summary.inputLayers == nil)
        #expect(!summary.text.contains("first layers:"))
    }

    /// Twenty layers: the shallowest group (two layers, a tenth of twenty) is measured, and on these
    /// samples float measures better (23.8 against 20.6 dB, t = 5.2): the file has the first Conv
    /// reading the float input, the second the first's float output, both weights float, and the
    /// plan says why each of them (and the Relus fused into them) stayed float.
    @Test func theFileFollowsTheMeasurement() throws {
        let (summary, quantized) = try quantize(depth: 20)
        let choice = try #require(summary.inputLayers)
        #expect(choice.layers == ["conv0", "conv1"] && choice.samples == 5)
        #expect(choice.kept && QuantizationJob.keepsInputLayersFloat(t: choice.t, floatSQNR: choice.floatSQNR, quantizedSQNR: choice.quantizedSQNR))
        let producers = quantized.graph.producers()
        for name in choice.layers {
            let conv = try #require(quantized.graph.nodes.first { $0.name == name })
            let reader = producers[conv.inputs[0]].map { quantized.graph.nodes[$0].opType }
            #expect(reader != "DequantizeLinear", "\(name) reads \(reader ?? "the graph input")")
            #expect(quantized.graph.initializers[conv.inputs[1]]?.dataType == .float)
        }
        #expect(summary.text.contains("first layers: kept float conv0, conv1 (output SQNR on 5 calibration samples"))
        #expect(summary.plan.nodes.filter { !$0.quantized }.allSatisfy { $0.reason == "kept float: first layers, measured better float" })
    }

    /// `--no-float-first-layers`: the same model, every layer int8, no measurement made.
    @Test func theStepCanBeTurnedOff() throws {
        let (summary, _) = try quantize(depth: 20, floatFirstLayers: false)
        #expect(summary.inputLayers == nil && summary.plan.nodes.allSatisfy(\.quantized))
    }

    /// Kept float only when better beyond noise (t >= 2) and by at least 1 dB.
    @Test(arguments: [(3.0, 19.0, 17.8, true), (3.0, 18.5, 17.8, false), (1.5, 25.0, 17.8, false), (2.0, 18.8, 17.8, true)])
    func firstLayersNeedNoiseAndMargin(t: Double, float: Double, quantized: Double, kept: Bool) {
        #expect(QuantizationJob.keepsInputLayersFloat(t: t, floatSQNR: float, quantizedSQNR: quantized) == kept)
    }
}
