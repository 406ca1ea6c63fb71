import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// upgrade-opset: old signatures converted, outputs unchanged.
@Suite struct UpgradeOpsetTests {
    @Test func opset11ModelBecomesOpset14WithSameOutputs() throws {
        var b = GraphBuilder(opset: 11)
        let x = b.input("x", [2, 3, 4])
        let squeezed = b.node("Squeeze", [b.node("Unsqueeze", [x], ["axes": .ints([0])])], ["axes": .ints([0])])
        let parts = b.node("Split", [squeezed], ["axis": .int(2), "split": .ints([1, 3])], outputs: 2)
        let summed = b.node("ReduceSum", [parts], ["axes": .ints([1]), "keepdims": .int(1)])
        let softmax = b.node("Softmax", ["split\(3)_1"], ["axis": .int(1)])   // flattens [2, 3, 3] to [2, 9]
        b.output(summed, softmax)
        let (after, report) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(after.opsetVersion() == 14)
        #expect(PassChecks.ops(after) == ["Unsqueeze", "Squeeze", "Split", "ReduceSum", "Shape", "Flatten", "Softmax", "Reshape"])
        #expect(report.summary.hasPrefix("opset 11 -> 14"))
        var r = RandomTensors(seed: 1)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4])]) >= 100)
    }

    /// If branches run under the model's opset: their opset-11 Unsqueeze (axes attribute) must be
    /// converted too, or the upgraded model is invalid (found by review).
    @Test func subgraphsAreUpgradedToo() throws {
        func branch(_ name: String, axis: Int64) -> Graph {
            Graph(name: name, nodes: [Node(opType: "Unsqueeze", inputs: ["x"], outputs: [name + "_y"],
                                           attributes: [Attribute(name: "axes", value: .ints([axis]))])],
                  outputs: [ValueInfo(name: name + "_y")])
        }
        let model = Model(opsetImports: [OpsetImport(domain: "", version: 11)], graph: Graph(
            nodes: [Node(opType: "Greater", inputs: ["x0", "zero"], outputs: ["cond"]),
                    Node(opType: "If", inputs: ["cond"], outputs: ["y"],
                         attributes: [Attribute(name: "then_branch", value: .graph(branch("then", axis: 0))),
                                      Attribute(name: "else_branch", value: .graph(branch("else", axis: 1)))])],
            initializers: ["zero": Tensor(shape: [1], scalars: [Float(0)])],
            inputs: [ValueInfo(name: "x", elementType: .float, shape: [.value(3)]), ValueInfo(name: "x0", elementType: .float, shape: [.value(1)])],
            outputs: [ValueInfo(name: "y")]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: model)
        let bodies = try #require(after.graph.nodes.last?.subgraphs)
        #expect(bodies.count == 2 && bodies.allSatisfy { $0.nodes[0].inputs.count == 2 && $0.nodes[0].attribute("axes") == nil })
        for sign: Float in [1, -1] {
            let feeds = ["x": Tensor(shape: [3], scalars: [Float](arrayLiteral: 1, 2, 3)), "x0": Tensor(shape: [1], scalars: [sign])]
            #expect(try PassChecks.outputAgreement(model, after, feeds: feeds) == .infinity)
        }
    }

    /// Malformed old nodes are one-line errors naming the node, not a crash; a legacy `broadcast`
    /// without `axis` is what today's broadcasting does, so it is dropped.
    @Test func malformedAndLegacyAttributes() throws {
        var clip = GraphBuilder(opset: 6)
        _ = clip.input("x", [2])
        clip.graph.nodes = [Node(name: "empty_clip", opType: "Clip", inputs: [], outputs: ["y"])]
        #expect(throws: QConvertError.self) { try PassChecks.run(UpgradeOpset(), on: clip.model) }

        var legacy = GraphBuilder(opset: 6)
        let x = legacy.input("x", [2, 3])
        legacy.output(legacy.node("Add", [x, legacy.constant("b", Tensor(shape: [3], scalars: [Float](arrayLiteral: 1, 2, 3)))], ["broadcast": .int(1)]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: legacy.model)
        #expect(after.graph.nodes[0].attribute("broadcast") == nil)
        var r = RandomTensors(seed: 4)
        #expect(try PassChecks.outputAgreement(legacy.model, after, feeds: ["x": r.normal([2, 3])]) == .infinity)

        // Along axis 0, [3] does not fit [2, 3] (it would need 3 at axis 0).
        var alongAxis = legacy
        alongAxis.graph.nodes[0].attributes.append(Attribute(name: "axis", value: .int(0)))
        #expect(throws: QConvertError.self) { try PassChecks.run(UpgradeOpset(), on: alongAxis.model) }
    }

    /// Opset 6's Add with `axis`: [2, 3, 4] + [3] at axis 1 adds per index of axis 1, which opset 7
    /// spells [3, 1]; [2, 3] + [3] at axis 1 already lines up with the last axis and stays [3].
    @Test(arguments: [[2, 3, 4], [2, 3]])
    func legacyAxisBroadcast(shape: [Int]) throws {
        var b = GraphBuilder(opset: 6)
        var r = RandomTensors(seed: 7)
        let x = b.input("x", shape)
        b.output(b.node("Add", [x, b.constant("b", r.normal([3]))], ["broadcast": .int(1), "axis": .int(1)]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(after.graph.nodes[0].attribute("axis") == nil && after.graph.nodes[0].attribute("broadcast") == nil)
        #expect(after.graph.initializers[after.graph.nodes[0].inputs[1]]?.shape == (shape.count == 3 ? [3, 1] : [3]))
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal(shape)]) == .infinity)
    }

    /// Opset 7's BatchNormalization: `spatial` 1 is dropped (per channel is all opset 9 knows); 0
    /// (statistics per value, [C, H, W] flattened) has no opset-14 form here and is refused.
    @Test(arguments: [Int64(1), 0])
    func batchNormSpatial(spatial: Int64) throws {
        var b = GraphBuilder(opset: 7)
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [2, 3, 2, 2])
        let count = spatial == 1 ? 3 : 12
        let parameters = ["g", "beta", "mean", "var"].map { b.constant($0, r.uniform([count], 0.5...1.5)) }
        b.output(b.node("BatchNormalization", [x] + parameters, ["spatial": .int(spatial)]))
        guard spatial == 1 else {
            #expect(throws: QConvertError.self) { try PassChecks.run(UpgradeOpset(), on: b.model) }
            return
        }
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(after.graph.nodes[0].attribute("spatial") == nil)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 2, 2])]) == .infinity)
    }

    /// From 13 to 14 nothing changed meaning: an opset-13 Softmax on a middle axis stays as it is.
    @Test func opset13ModelOnlyChangesItsVersion() throws {
        var b = GraphBuilder(opset: 13)
        let x = b.input("x", [2, 3, 4])
        b.output(b.node("Softmax", [b.node("Squeeze", [x, b.constant("axes", Tensor(shape: [0], scalars: [Int64]()))])], ["axis": .int(1)]))
        let (after, report) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(after.opsetVersion() == 14)
        #expect(PassChecks.ops(after) == ["Squeeze", "Softmax"])
        #expect(report.summary == "opset 13 -> 14")
        var r = RandomTensors(seed: 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4])]) == .infinity)
    }

    @Test func softmaxOnLastAxisStaysOneNode() throws {
        var b = GraphBuilder(opset: 12)
        let x = b.input("x", [2, 5])
        b.output(b.node("Softmax", [x], ["axis": .int(1)]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(PassChecks.ops(after) == ["Softmax"])
    }

    /// Upsample (opsets 7 and 9) and Resize-10 become opset-13 Resize with asymmetric coordinates;
    /// the result matches ONNX Runtime's output for the original, committed with each op case.
    @Test(arguments: ["resize_nearest_opset10", "resize_linear_opset10", "upsample_linear_opset9", "upsample_nearest_opset7"])
    func legacyResizeBecomesResize13(name: String) throws {
        let fixture = try #require(Fixtures.ops().first { $0.name == name })
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: try fixture.model())
        #expect(PassChecks.ops(after) == ["Resize"])
        let outputs = try Interpreter(model: after, threads: 1).run(try fixture.feeds())
        let expected = try #require(fixture.expectedOutputs().first)
        #expect(Closeness.mismatch(try #require(outputs[after.graph.outputs[0].name]), expected) == nil)
    }

    /// Shrinking, the legacy nearest rounding goes up (nearest_mode ceil); axes enlarged and others
    /// shrunk by other than a power of two have no single nearest_mode and are refused.
    @Test func legacyNearestShrinkRoundsUp() throws {
        func model(_ scales: [Float]) -> Model {
            var b = GraphBuilder(opset: 10)
            let x = b.input("x", [1, 1, 5, 5])
            b.output(b.node("Resize", [x, b.constant("scales", Tensor(shape: [4], scalars: scales))]))
            return b.model
        }
        var r = RandomTensors(seed: 8)
        let shrink = model([1, 1, 0.5, 0.6])
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: shrink)
        #expect(try after.graph.nodes[0].string("nearest_mode") == "ceil")
        #expect(try PassChecks.outputAgreement(shrink, after, feeds: ["x": r.normal([1, 1, 5, 5])]) == .infinity)
        #expect(throws: QConvertError.self) { try PassChecks.run(UpgradeOpset(), on: model([1, 1, 2, 0.6])) }
    }

    /// PyTorch's opset-9 exports hold Upsample scales in a Constant node, which this pass sees before
    /// constants are folded.
    @Test func upsampleScalesFromAConstantNode() throws {
        var b = GraphBuilder(opset: 9)
        var r = RandomTensors(seed: 9)
        let x = b.input("x", [1, 2, 3, 3])
        let scales = b.node("Constant", [], ["value": .tensor(Tensor(shape: [4], scalars: [Float](arrayLiteral: 1, 1, 2, 2)))])
        b.output(b.node("Upsample", [x, scales]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(PassChecks.ops(after) == ["Constant", "Resize"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 3, 3])]) == .infinity)
    }

    /// Opset 6's PRelu applies a slope as long as axis 1 per channel, where opset 7 would broadcast it
    /// from the last axis (here 4 long, so [3] would not even broadcast): it becomes [3, 1]. Another
    /// slope ([4]) broadcasts from the last axis then as now and stays; a computed slope on rank > 2
    /// cannot be told apart and is refused.
    @Test(arguments: [3, 4])
    func legacyPReluSlope(count: Int) throws {
        var b = GraphBuilder(opset: 6)
        var r = RandomTensors(seed: 6)
        let x = b.input("x", [2, 3, 4])
        b.output(b.node("PRelu", [x, b.constant("slope", r.uniform([count], 0.1...0.9))]))
        let (after, _) = try PassChecks.run(UpgradeOpset(), on: b.model)
        #expect(after.graph.initializers[after.graph.nodes[0].inputs[1]]?.shape == (count == 3 ? [3, 1] : [4]))
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4])]) == .infinity)

        var computed = GraphBuilder(opset: 6)
        let y = computed.input("y", [2, 3, 4])
        computed.output(computed.node("PRelu", [y, computed.node("Abs", [computed.input("s", [3])])]))
        #expect(throws: QConvertError.self) { try PassChecks.run(UpgradeOpset(), on: computed.model) }
    }
}
