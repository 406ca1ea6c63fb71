import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// name-nodes on a tiny graph, and a model whose nodes all share one name quantized end to end.
@Suite struct NameNodesTests {
    let directories = TemporaryDirectories()

    @Test func repeatedAndEmptyNamesBecomeUnique() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3])
        let r = b.node("Relu", [x])
        let s = b.node("Sigmoid", [r])
        b.output(b.node("Tanh", [s]), b.node("Neg", [s]))
        var model = b.model
        // Relu and Tanh share "same"; Sigmoid has none; Neg is already called "same_2".
        model.graph.nodes[0].name = "same"
        model.graph.nodes[1].name = ""
        model.graph.nodes[2].name = "same"
        model.graph.nodes[3].name = "same_2"
        let (after, report) = try PassChecks.run(NameNodes(), on: model)
        #expect(after.graph.nodes.map(\.name) == ["same", s, "same_3", "same_2"])
        #expect(report.changes == 2)
        var random = RandomTensors(seed: 3)
        #expect(try PassChecks.outputAgreement(model, after, feeds: ["x": random.normal([2, 3])]) == .infinity)
    }

    /// Every node named "same" (ONNX allows it): GPTQ used to crash on it; now the quantized model
    /// computes exactly what the uniquely named fixture's does.
    @Test func aModelWhoseNodesShareOneNameQuantizesLikeTheOriginal() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let folder = directories.make()
        var model = try fixture.model()
        for index in model.graph.nodes.indices { model.graph.nodes[index].name = "same" }
        _ = try ONNXWriter.write(model, to: folder + "/same.onnx")
        func quantize(_ path: String, to output: String) throws -> QuantizationSummary {
            var options = ModelQuantization.Options(model: path)
            options.calibrationDirectory = fixture.directory + "/calib"
            options.output = output
            options.threads = 1
            options.quantization.weightBits = 8
            return try ModelQuantization.run(options)
        }
        let original = try quantize(fixture.modelPath, to: folder + "/original.int8.onnx")
        let renamed = try quantize(folder + "/same.onnx", to: folder + "/same.int8.onnx")
        #expect(renamed.plan.quantizedCount == original.plan.quantizedCount)
        #expect(renamed.agreement?.sqnr.values.first == original.agreement?.sqnr.values.first)
    }
}
