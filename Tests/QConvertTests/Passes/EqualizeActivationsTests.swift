@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// equalize-activations: the model computes the same function, and the equalized activation's
/// channels span a much smaller range of maxima.
@Suite struct EqualizeActivationsTests {
    /// Two activations whose 6 channels span 0.05x to 4x:
    ///   x -> Conv -> Relu -> [a] -> pointwise Conv            (a absorbed by its producing Conv)
    ///   x -> Conv -> Mul(0.5) -> Add(0.1) -> [b] -> depthwise Conv   (b absorbed by the affine constants)
    func model() -> (Model, RandomTensors) {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [2, 4, 6, 6])
        func spreadWeights(_ name: String) -> String {
            var w = r.normal([6, 4, 1, 1]).floats()!
            for o in 0..<6 { for i in 0..<4 { w[o * 4 + i] *= [0.05, 4, 0.3, 1, 2.5, 0.1][o] } }
            return b.constant(name, Tensor(shape: [6, 4, 1, 1], scalars: w))
        }
        let positiveBias = b.constant("b1", Tensor(scalars: [Float](repeating: 1, count: 6)))
        let a = b.node("Relu", [b.node("Conv", [x, spreadWeights("w1"), positiveBias])], name: "a")
        let scaled = b.node("Mul", [b.node("Conv", [x, spreadWeights("w2")]), b.constant("k", Tensor(scalar: Float(0.5)))])
        let affine = b.node("Add", [scaled, b.constant("c", Tensor(scalar: Float(0.1)))], name: "b")
        let depthwise = b.node("Conv", [affine, b.constant("wd", r.normal([6, 1, 3, 3]))], ["group": .int(6), "pads": .ints([1, 1, 1, 1])])
        let pointwise = b.node("Conv", [a, b.constant("wp", r.normal([3, 6, 1, 1]))])
        b.output(depthwise, pointwise)
        return (b.model, r)
    }

    func maxima(_ model: Model, _ value: String, feeds: [String: Tensor]) throws -> [Float] {
        let t = try Interpreter(model: model, threads: 1).run(feeds, keep: [value])[value]!
        let values = t.floats()!, inner = t.shape[2] * t.shape[3]
        return (0..<t.shape[1]).map { c in (0..<t.shape[0]).flatMap { n in (0..<inner).map { abs(values[(n * t.shape[1] + c) * inner + $0]) } }.max()! }
    }

    @Test func outputsUnchangedAndChannelsEqualized() throws {
        var (before, random) = model()
        _ = before
        let feeds = ["x": random.normal([2, 4, 6, 6])]
        let observed = try ["a", "b"].reduce(into: [String: ChannelMaxima.Observed]()) { result, name in
            result[name] = ChannelMaxima.Observed(maxima: try maxima(before, name, feeds: feeds), rank: 4, axis: 1)
        }
        let (after, report) = try PassChecks.run(EqualizeActivations(maxima: observed), on: before)
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(before, after, feeds: feeds) >= 100)
        func spread(_ m: [Float]) -> Float { m.max()! / m.min()! }
        // b feeds only a depthwise Conv: fully equalized (same samples, so exactly 1 up to rounding).
        // Scaled values are renamed: they are no longer the float model's (compare matches by name).
        #expect(Set(after.graph.nodes.flatMap(\.outputs)).isDisjoint(with: ["a", "b"]))
        #expect(spread(try maxima(after, "b_eq", feeds: feeds)) < 1.01)
        // a feeds a pointwise Conv: range split with the weights (square root), so it narrows.
        let before_a = spread(try maxima(before, "a", feeds: feeds)), after_a = spread(try maxima(after, "a_eq", feeds: feeds))
        #expect(after_a < before_a * 0.75, "a: spread \(before_a) -> \(after_a)")
    }

    /// Fused units (Conv + Relu) found before equalization name values it renames: they must follow,
    /// or quantization no longer sees the unit and puts a pair between the Conv and its Relu (that
    /// cost ppocr_cls 3.5 dB).
    @Test func fusedUnitsFollowRenamedValues() throws {
        var (model, random) = self.model()
        let feeds = ["x": random.normal([2, 4, 6, 6])]
        let observed = try ["a", "b"].reduce(into: [String: ChannelMaxima.Observed]()) { result, name in
            result[name] = ChannelMaxima.Observed(maxima: try maxima(model, name, feeds: feeds), rank: 4, axis: 1)
        }
        let context = PassContext()
        _ = try PassManager(verify: true).run([FuseConvActivation(), EqualizeActivations(maxima: observed)], on: &model, context: context)
        let produced = Set(model.graph.nodes.flatMap(\.outputs))
        #expect(context.units.contains { $0.output == "a_eq" })
        for unit in context.units { #expect(unit.values.allSatisfy(produced.contains), "\(unit)") }
    }

    /// A reader's weight column of float32 denormals (as pruning leaves): sqrt(max|X_c| / max|W_c|)
    /// overflows float32, and the factors were NaN, so every scale after them was (found by a
    /// differential review). The activation is left alone, as with a column of zeros.
    @Test func denormalWeightColumnGivesFiniteFactors() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 2, 4, 4])
        let c = b.node("Conv", [x, b.constant("w1", Tensor(shape: [2, 2, 1, 1], scalars: [Float](arrayLiteral: 5, 0, 0, 0.5)))], name: "c")
        b.output(b.node("Conv", [c, b.constant("w2", Tensor(shape: [1, 2, 1, 1], scalars: [Float](arrayLiteral: 0.7, 1e-40)))]))
        let model = b.model
        var random = RandomTensors(seed: 3)
        let feeds = ["x": random.normal([1, 2, 4, 4])]
        let observed = ["c": ChannelMaxima.Observed(maxima: try maxima(model, "c", feeds: feeds), rank: 4, axis: 1)]
        let (after, report) = try PassChecks.run(EqualizeActivations(maxima: observed), on: model)
        #expect(report.changes == 0)
        for (name, tensor) in after.graph.initializers { #expect(tensor.floats()!.allSatisfy { $0.isFinite }, "\(name)") }
        #expect(try PassChecks.outputAgreement(model, after, feeds: feeds) >= 100)
    }

    /// A [6] constant on a [2, 6, 6, 6] map broadcasts along W, not along the channels, however
    /// many values it has: equalizing through it would change the function (found by review).
    @Test func constantVaryingAlongAnotherAxisIsLeftAlone() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 7)
        let x = b.input("x", [2, 4, 6, 6])
        var w = r.normal([6, 4, 1, 1]).floats()!
        for o in 0..<6 { for i in 0..<4 { w[o * 4 + i] *= [0.05, 4, 0.3, 1, 2.5, 0.1][o] } }
        let conv = b.node("Conv", [x, b.constant("w", Tensor(shape: [6, 4, 1, 1], scalars: w))])
        let alongW = b.node("Mul", [conv, b.constant("k", Tensor(scalars: [Float](arrayLiteral: 1, 2, 3, 4, 5, 6)))], name: "m")
        b.output(b.node("Conv", [alongW, b.constant("wd", r.normal([6, 1, 3, 3]))], ["group": .int(6), "pads": .ints([1, 1, 1, 1])]))
        let feeds = ["x": r.normal([2, 4, 6, 6])]
        let observed = ["m": ChannelMaxima.Observed(maxima: try maxima(b.model, "m", feeds: feeds), rank: 4, axis: 1)]
        let (after, _) = try PassChecks.run(EqualizeActivations(maxima: observed), on: b.model)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: feeds) >= 100)
    }

    /// After a HardSwish (opset 14) nothing can absorb 1/s exactly, so a Mul by it follows the
    /// HardSwish; the reader (depthwise) still sees equalized channels.
    @Test func hardSwishOutputIsEqualizedByAMulAfterIt() throws {
        var b = GraphBuilder(opset: 14)
        var r = RandomTensors(seed: 6)
        let x = b.input("x", [2, 4, 6, 6])
        var w = r.normal([6, 4, 1, 1]).floats()!
        for o in 0..<6 { for i in 0..<4 { w[o * 4 + i] *= [0.05, 4, 0.3, 1, 2.5, 0.1][o] } }
        let swish = b.node("HardSwish", [b.node("Conv", [x, b.constant("w", Tensor(shape: [6, 4, 1, 1], scalars: w))])], name: "h")
        b.output(b.node("Conv", [swish, b.constant("wd", r.normal([6, 1, 3, 3]))], ["group": .int(6), "pads": .ints([1, 1, 1, 1])]))
        let feeds = ["x": r.normal([2, 4, 6, 6], std: 2)]
        let observed = ["h": ChannelMaxima.Observed(maxima: try maxima(b.model, "h", feeds: feeds), rank: 4, axis: 1)]
        let (after, report) = try PassChecks.run(EqualizeActivations(maxima: observed), on: b.model)
        #expect(report.changes == 1)
        #expect(PassChecks.ops(after) == ["Conv", "HardSwish", "Mul", "Conv"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: feeds) >= 100)
        let read = try #require(after.graph.nodes.last?.inputs.first)
        #expect(read != "h", "renamed: no longer the float model's h")
        let m = try maxima(after, read, feeds: feeds)
        #expect(m.max()! / m.min()! < 1.01)
    }
}
