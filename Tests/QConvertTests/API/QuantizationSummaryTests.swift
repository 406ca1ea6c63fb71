import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// What the summary says about the nodes it keeps float.
@Suite struct QuantizationSummaryTests {
    let directories = TemporaryDirectories()

    /// Quantizes `model` (static, default options) on 12 samples of input shape `inputShape` drawn from `random`.
    func quantize(_ model: Model, inputShape: [Int], random: inout RandomTensors) throws -> QuantizationSummary {
        try QuantizationCase(model, in: directories.make(), samples: 12, inputShape: inputShape, random: &random).run()
    }

    /// A residual block: the Add reads two int8 layers' outputs and its Relu feeds an int8 layer, so
    /// the file holds DequantizeLinear -> Add -> Relu -> QuantizeLinear, which ONNX Runtime fuses
    /// into QLinearAdd. The plan keeps the Add float; the summary says it sits between quantized values.
    @Test func residualAddIsSaidToSitBetweenQuantizedValues() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let pads: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        let x = b.input("x", [1, 4, 6, 6])
        let a = b.node("Relu", [b.node("Conv", [x, b.constant("w1", r.normal([4, 4, 3, 3], std: 0.3))], pads)])
        let c = b.node("Conv", [a, b.constant("w2", r.normal([4, 4, 3, 3], std: 0.3))], pads)
        let sum = b.node("Relu", [b.node("Add", [a, c], name: "residual")])
        b.output(b.node("Conv", [sum, b.constant("w3", r.normal([2, 4, 1, 1]))]))
        let summary = try quantize(b.model, inputShape: [1, 4, 6, 6], random: &r)
        #expect(summary.plan.nodes.first { $0.node == "residual" }?.quantized == false)
        #expect(summary.floatBetweenQuantized == ["Add": 1])
        #expect(summary.text.contains("  of those, between quantized values (ONNX Runtime may fuse them into integer ops): 1 Add\n"))
    }

    /// A Loop between int8 layers is measured too, but ONNX Runtime has no integer Loop: the summary
    /// says it runs in float there, not that it may be fused.
    @Test func floatOpWithoutAnIntegerFormIsNotSaidToFuse() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [1, 3, 6, 6])
        let h = b.node("Relu", [b.node("Conv", [x, b.constant("w1", r.normal([4, 3, 3, 3], std: 0.3))], ["pads": .ints([1, 1, 1, 1])])])
        let body = Graph(nodes: [Node(opType: "Add", inputs: ["v", "v"], outputs: ["v2"]), Node(opType: "Identity", inputs: ["cin"], outputs: ["cout"])],
                         inputs: [ValueInfo(name: "i"), ValueInfo(name: "cin"), ValueInfo(name: "v")],
                         outputs: [ValueInfo(name: "cout"), ValueInfo(name: "v2")])
        let looped = b.node("Loop", [b.constant("trips", Tensor(scalar: Int64(2))), "", h], ["body": .graph(body)], name: "loop")
        b.output(b.node("Conv", [looped, b.constant("w2", r.normal([2, 4, 1, 1]))]))
        let summary = try quantize(b.model, inputShape: [1, 3, 6, 6], random: &r)
        #expect(summary.floatBetweenQuantized == ["Loop": 1])
        #expect(summary.text.contains("  of those, between quantized values (dequantized, run in float, quantized again): 1 Loop\n"))
        #expect(!summary.text.contains("may fuse"))
    }

    /// Weight-only MatMuls are not float compute in ONNX Runtime 1.32 (MatMulNBits quantizes their
    /// inputs): the summary says so, with the session option that keeps float compute; Conv-only
    /// models get no such note.
    @Test func weightOnlyMatMulNotesMatMulNBits() throws {
        for (fixture, matMuls) in [("matmul_transformer_block", 6), ("conv_bn_relu", 0)] {
            var options = ModelQuantization.Options(model: Fixtures.model(fixture).modelPath)
            options.quantization.mode = .weightOnly
            options.output = directories.make() + "/q.onnx"
            let summary = try ModelQuantization.run(options)
            #expect(summary.text.contains("MatMulNBits") == (matMuls > 0), "\(fixture)")
            if matMuls > 0 {
                #expect(summary.text.contains("note: ONNX Runtime 1.32 runs the \(matMuls) int8-weight MatMuls as MatMulNBits"), "\(summary.text)")
            }
        }
    }

    /// An output the float model leaves at 0 (here multiplied by 0; timm's sequencer2d with its
    /// default initialisation) gets an infinite SQNR that means nothing: the summary says so.
    @Test func zeroFloatOutputIsFlagged() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 4)
        let x = b.input("x", [1, 3, 5, 5])
        let y = b.node("Relu", [b.node("Conv", [x, b.constant("w", r.normal([4, 3, 3, 3]))])])
        b.output(b.node("Mul", [y, b.constant("zero", Tensor(scalar: Float(0)))], name: "dead"))
        let summary = try quantize(b.model, inputShape: [1, 3, 5, 5], random: &r)
        #expect(summary.agreement?.zeroOutputs == [b.model.graph.outputs[0].name])
        #expect(summary.text.contains("warning: the float model's output '\(b.model.graph.outputs[0].name)' is 0 on every held-out sample"))
    }
}
