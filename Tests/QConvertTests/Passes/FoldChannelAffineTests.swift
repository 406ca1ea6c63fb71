@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// fold-channel-affine: constant per-channel maps after a Conv/ConvTranspose/Gemm vanish into its
/// weights and the outputs agree; maps that broadcast along another axis stay.
@Suite struct FoldChannelAffineTests {
    @Test func learnableAffineAfterConvFolds() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 1)
        let x = b.input("x", [2, 3, 6, 5])
        let y = b.node("Conv", [x, b.constant("w", r.normal([4, 3, 3, 3], std: 0.3))], ["pads": .ints([1, 1, 1, 1])])
        let scaled = b.node("Mul", [b.constant("a", Tensor(scalar: Float(1.7))), y])     // constant first
        let shifted = b.node("Add", [scaled, b.constant("d", Tensor(scalar: Float(-0.4)))])
        b.output(b.node("Relu", [shifted]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(), on: b.model)
        #expect(PassChecks.ops(after) == ["Conv", "Relu"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 6, 5])]) >= 100)
    }

    /// A bias-less Conv takes the Add as its bias and the Div into its weights; once it has a bias,
    /// a further shift (Sub) stays separate.
    @Test func biasAddAndDivFoldIntoABiaslessConv() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 2)
        let x = b.input("x", [1, 2, 4, 4])
        let y = b.node("Conv", [x, b.constant("w", r.normal([3, 2, 1, 1]))])
        let biased = b.node("Add", [y, b.constant("d", r.normal([1, 3, 1, 1]))])
        let divided = b.node("Div", [biased, b.constant("s", r.uniform([3, 1, 1], 0.5...2))])
        b.output(b.node("Sub", [divided, b.constant("m", r.normal([3, 1, 1]))]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(), on: b.model)
        #expect(PassChecks.ops(after) == ["Conv", "Sub"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 4, 4])]) >= 100)
    }

    /// PP-LCNetV3's affine after a Conv with a (folded BatchNorm) bias: the scale folds, the shift stays.
    @Test func shiftAfterABiasedConvStays() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 6)
        let x = b.input("x", [1, 2, 4, 4])
        let y = b.node("Conv", [x, b.constant("w", r.normal([3, 2, 1, 1])), b.constant("b", r.normal([3]))])
        let scaled = b.node("Mul", [y, b.constant("a", Tensor(scalar: Float(0.8)))])
        b.output(b.node("Add", [scaled, b.constant("d", Tensor(scalar: Float(0.3)))]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(), on: b.model)
        #expect(PassChecks.ops(after) == ["Conv", "Add"])
        #expect(report.changes == 1)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 4, 4])]) >= 100)
    }

    /// Asked to (quantization does, when it measures folding no worse), the shifts after a biased
    /// Conv fold into its bias, and only they: a scale, which would change the weights GPTQ rounded,
    /// stays; so does a shift whose node is named to keep.
    @Test func shiftsAfterABiasedConvFoldWhenAsked() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 6)
        let x = b.input("x", [1, 2, 4, 4])
        let y = b.node("Conv", [x, b.constant("w", r.normal([3, 2, 1, 1])), b.constant("b", r.normal([3]))])
        let shifted = b.node("Add", [b.constant("c", Tensor(scalar: Float(0.3))), y])
        let z = b.node("Sub", [shifted, b.constant("d", r.normal([1, 3, 1, 1]))], name: "shift")
        b.output(b.node("Mul", [z, b.constant("a", Tensor(scalar: Float(0.8)))]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(shiftsAfterBias: true), on: b.model)
        #expect(PassChecks.ops(after) == ["Conv", "Mul"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 4, 4])]) >= 100)
        let (kept, _) = try PassChecks.run(FoldChannelAffine(shiftsAfterBias: true, keep: ["shift"]), on: b.model)
        #expect(PassChecks.ops(kept) == ["Conv", "Sub", "Mul"])
    }

    @Test func groupedConvTransposeAndGemmFold() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 4, 3, 3])
        let up = b.node("ConvTranspose", [x, b.constant("w", r.normal([4, 3, 2, 2], std: 0.3))], ["group": .int(2), "strides": .ints([2, 2])])
        b.output(b.node("Mul", [up, b.constant("a", r.normal([6, 1, 1]))]))
        let v = b.input("v", [2, 5])
        let g = b.node("Gemm", [v, b.constant("g", r.normal([3, 5])), b.constant("c", r.normal([3]))], ["transB": .int(1), "beta": .float(0.5)])
        b.output(b.node("Mul", [g, b.constant("e", r.normal([3]))]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(), on: b.model)
        #expect(PassChecks.ops(after) == ["ConvTranspose", "Gemm"])
        #expect(report.changes == 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 4, 3, 3]), "v": r.normal([2, 5])]) >= 100)
    }

    @Test func mapsThatAreNotPerChannelStay() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 4)
        let x = b.input("x", [1, 2, 4, 4])
        let w = b.constant("w", r.normal([3, 2, 1, 1]))
        // Varies along the width: not a per-channel map.
        b.output(b.node("Mul", [b.node("Conv", [x, w]), b.constant("k", r.normal([1, 1, 1, 4]))]))
        // Constant minus the output: the sign flips the output, which this pass does not fold.
        b.output(b.node("Sub", [b.constant("c", r.normal([3, 1, 1])), b.node("Conv", [x, w])]))
        // The Conv's output is read twice.
        let shared = b.node("Conv", [x, w])
        b.output(b.node("Add", [shared, b.constant("d", r.normal([3, 1, 1]))]), b.node("Relu", [shared]))
        let (after, report) = try PassChecks.run(FoldChannelAffine(), on: b.model)
        #expect(PassChecks.ops(after) == PassChecks.ops(b.model))
        #expect(report.changes == 0)
    }
}
