import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// fuse-conv-activation: units recorded with their bounds; HardSwish rewritten at opset 14.
@Suite struct FuseConvActivationTests {
    @Test func convReluAndClipBecomeUnitsWithBounds() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 1)
        let x = b.input("x", [1, 2, 4, 4])
        let w = b.constant("w", r.normal([2, 2, 1, 1]))
        let relu = b.node("Relu", [b.node("Conv", [x, w], name: "conv_a")])
        let clip = b.node("Clip", [b.node("Conv", [relu, w], name: "conv_b"), b.constant("lo", Tensor(scalar: Float(0))), b.constant("hi", Tensor(scalar: Float(6)))])
        b.output(clip)
        let context = PassContext()
        let (after, report) = try PassChecks.run(FuseConvActivation(), on: b.model, context: context)
        #expect(PassChecks.ops(after) == ["Conv", "Relu", "Conv", "Clip"])
        #expect(report.changes == 2)
        #expect(context.unit(producing: relu) == FusedUnit(kind: .computeActivation, values: ["conv_a", relu], input: x, output: relu, lowerBound: 0, upperBound: nil))
        #expect(context.unit(producing: clip)?.upperBound == 6)
        #expect(context.unit(producing: clip)?.lowerBound == 0)
    }

    @Test func negativeClipIsNotFused() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 1, 2, 2])
        let y = b.node("Conv", [x, b.constant("w", Tensor(shape: [1, 1, 1, 1], scalars: [Float(2)]))])
        b.output(b.node("Clip", [y, b.constant("lo", Tensor(scalar: Float(-1))), b.constant("hi", Tensor(scalar: Float(1)))]))
        let context = PassContext()
        _ = try PassChecks.run(FuseConvActivation(), on: b.model, context: context)
        #expect(context.units.isEmpty)
    }

    @Test func siluIsAUnitAndHardSwishIsRewrittenAtOpset14() throws {
        var b = GraphBuilder(opset: 14)
        let x = b.input("x", [2, 8])
        let silu = b.node("Mul", [x, b.node("Sigmoid", [x])])
        let gate = b.node("HardSigmoid", [silu], ["alpha": .float(1.0 / 6.0), "beta": .float(0.5)])
        b.output(b.node("Mul", [gate, silu]))
        let context = PassContext()
        let (after, _) = try PassChecks.run(FuseConvActivation(), on: b.model, context: context)
        #expect(PassChecks.ops(after) == ["Sigmoid", "Mul", "HardSwish"])
        #expect(context.units.map(\.kind) == [.silu])
        var r = RandomTensors(seed: 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 8], std: 4)]) >= 100)
    }

    /// PaddlePaddle writes HardSwish out as x * Clip(x + 3, 0, 6) / 6: one op at opset 14, left alone
    /// below it (the op does not exist there).
    @Test(arguments: [13, 14])
    func clipFormOfHardSwishIsRewrittenAtOpset14(opset: Int) throws {
        var b = GraphBuilder(opset: opset)
        let x = b.input("x", [2, 3, 4])
        let three = b.constant("three", Tensor(scalar: Float(3))), zero = b.constant("zero", Tensor(scalar: Float(0)))
        let six = b.constant("six", Tensor(scalar: Float(6)))
        let gate = b.node("Clip", [b.node("Add", [three, x]), zero, six])
        let swish = b.node("Div", [b.node("Mul", [gate, x]), six])
        b.output(b.node("Relu", [swish]))
        let (after, report) = try PassChecks.run(FuseConvActivation(), on: b.model)
        #expect(PassChecks.ops(after) == (opset >= 14 ? ["HardSwish", "Relu"] : ["Add", "Clip", "Mul", "Div", "Relu"]))
        #expect(report.changes == (opset >= 14 ? 1 : 0))
        var r = RandomTensors(seed: 3)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4], std: 4)]) >= 100)
    }

    @Test func clipWithOtherBoundsIsNotHardSwish() throws {
        var b = GraphBuilder(opset: 14)
        let x = b.input("x", [5])
        let gate = b.node("Clip", [b.node("Add", [x, b.constant("three", Tensor(scalar: Float(3)))]),
                                   b.constant("zero", Tensor(scalar: Float(0))), b.constant("five", Tensor(scalar: Float(5)))])
        b.output(b.node("Div", [b.node("Mul", [x, gate]), b.constant("six", Tensor(scalar: Float(6)))]))
        let (after, _) = try PassChecks.run(FuseConvActivation(), on: b.model)
        #expect(PassChecks.ops(after) == ["Add", "Clip", "Mul", "Div"])
    }
}
