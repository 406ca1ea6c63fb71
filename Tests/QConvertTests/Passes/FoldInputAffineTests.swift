@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// fold-input-affine: constant per-channel maps that only a Conv reads vanish into its weights and
/// bias and the outputs agree; shifts before a padding Conv, and maps read twice, stay. The pass
/// reads the activations' shapes, so each graph is shape-inferred first, as in `prepare`.
@Suite struct FoldInputAffineTests {
    func fold(_ model: Model) throws -> (Model, PassReport) {
        try PassChecks.run(FoldInputAffine(), on: PassChecks.run(InferShapes(), on: model).0)
    }

    /// PP-LCNetV3's HardSwish, learnable affine, pointwise Conv.
    @Test func affineBeforeAPointwiseConvFolds() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 1)
        let x = b.input("x", [2, 3, 5, 4])
        let h = b.node("HardSwish", [x])
        let scaled = b.node("Mul", [b.constant("a", r.uniform([1, 3, 1, 1], 0.5...2)), h])   // constant first
        let shifted = b.node("Add", [scaled, b.constant("d", r.normal([3, 1, 1]))])
        b.output(b.node("Conv", [shifted, b.constant("w", r.normal([4, 3, 1, 1])), b.constant("bias", r.normal([4]))]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == ["HardSwish", "Conv"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 5, 4])]) >= 100)
    }

    /// Each weight of a grouped Conv takes the map of the input channel it reads (group 2: output
    /// channels 0-2 read inputs 0-1, outputs 3-5 read inputs 2-3); strides pad nothing.
    @Test func groupedConvTakesEachInputChannelsMap() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 2)
        let x = b.input("x", [1, 4, 6, 6])
        let divided = b.node("Div", [x, b.constant("s", r.uniform([4, 1, 1], 0.5...2))])
        let shifted = b.node("Sub", [divided, b.constant("m", r.normal([4, 1, 1]))])
        b.output(b.node("Conv", [shifted, b.constant("w", r.normal([6, 2, 3, 3], std: 0.3))], ["group": .int(2), "strides": .ints([2, 2])]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == ["Conv"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 4, 6, 6])]) >= 100)
    }

    /// A padding Conv reads 0 at its border: a scale of 0 is 0, so a scale folds (a depthwise Conv
    /// here); a shift would not be, so it stays, and with it the scale it reads.
    @Test func onlyScalesFoldIntoAPaddingConv() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 3, 4, 4])
        let scaled = b.node("Mul", [x, b.constant("a", r.normal([1, 3, 1, 1]))])
        let depthwise = b.node("Conv", [scaled, b.constant("w", r.normal([3, 1, 3, 3]))], ["group": .int(3), "pads": .ints([1, 1, 1, 1])])
        let rescaled = b.node("Mul", [depthwise, b.constant("c", Tensor(scalar: Float(0.7)))])
        let shifted = b.node("Add", [rescaled, b.constant("d", r.normal([3, 1, 1]))])
        b.output(b.node("Conv", [shifted, b.constant("v", r.normal([2, 3, 3, 3]))], ["auto_pad": .string(Array("SAME_UPPER".utf8))]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == ["Conv", "Mul", "Add", "Conv"])
        #expect(report.changes == 1)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 3, 4, 4])]) >= 100)
    }

    /// Explicit pads: the shift stays; a weight another Conv also reads is copied, not changed.
    @Test func shiftBeforePadsStaysAndSharedWeightsAreCopied() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [1, 2, 5, 5])
        let w = b.constant("w", r.normal([3, 2, 3, 3], std: 0.3))
        b.output(b.node("Conv", [b.node("Add", [x, b.constant("d", r.normal([2, 1, 1]))]), w], ["pads": .ints([0, 1, 0, 1])]))
        b.output(b.node("Conv", [b.node("Mul", [x, b.constant("a", r.normal([2, 1, 1]))]), w]))
        b.output(b.node("Conv", [x, w]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == ["Add", "Conv", "Conv", "Conv"])
        #expect(report.changes == 1)
        #expect(after.graph.initializers["w"] == b.model.graph.initializers["w"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 5, 5])]) >= 100)
    }

    /// A [1, 3, 1, 1] mean subtracted from a one-channel image broadcasts it to the three channels
    /// the Conv reads: folding would hand the Conv one channel.
    @Test func mapsThatWidenTheirInputStay() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 6)
        let gray = b.input("gray", [1, 1, 4, 4])
        b.output(b.node("Conv", [b.node("Sub", [gray, b.constant("mean", r.normal([1, 3, 1, 1]))]), b.constant("w", r.normal([2, 3, 1, 1]))]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == ["Sub", "Conv"])
        #expect(report.changes == 0)
    }

    @Test func mapsReadElsewhereOrNotPerChannelStay() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 4)
        let x = b.input("x", [1, 2, 4, 4])
        let w = b.constant("w", r.normal([3, 2, 1, 1]))
        // Varies along the width: not a per-channel map.
        b.output(b.node("Conv", [b.node("Mul", [x, b.constant("k", r.normal([1, 1, 1, 4]))]), w]))
        // Read by the Conv and by a Relu.
        let shared = b.node("Add", [x, b.constant("d", r.normal([2, 1, 1]))])
        b.output(b.node("Conv", [shared, w]), b.node("Relu", [shared]))
        // A graph output.
        let visible = b.node("Mul", [x, b.constant("e", r.normal([2, 1, 1]))])
        b.output(visible, b.node("Conv", [visible, w]))
        // Constant minus the activation flips its sign, which this pass does not fold.
        b.output(b.node("Conv", [b.node("Sub", [b.constant("c", r.normal([2, 1, 1])), x]), w]))
        let (after, report) = try fold(b.model)
        #expect(PassChecks.ops(after) == PassChecks.ops(b.model))
        #expect(report.changes == 0)
    }
}
