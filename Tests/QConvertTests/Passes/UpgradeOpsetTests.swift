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
}
