import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// fold-batchnorm: the BatchNormalization disappears into the weights before it and outputs agree.
@Suite struct FoldBatchNormTests {
    /// BatchNormalization parameters for `c` channels with non-trivial statistics.
    func addBatchNorm(_ b: inout GraphBuilder, _ x: String, channels c: Int, seed: UInt64) -> String {
        var r = RandomTensors(seed: seed)
        let scale = b.constant("g\(seed)", r.uniform([c], 0.5...1.5)), bias = b.constant("beta\(seed)", r.normal([c]))
        let mean = b.constant("mean\(seed)", r.normal([c])), variance = b.constant("var\(seed)", r.uniform([c], 0.2...2))
        return b.node("BatchNormalization", [x, scale, bias, mean, variance], ["epsilon": .float(1e-3)])
    }

    @Test func convFollowedByBatchNorm() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 1)
        let x = b.input("x", [2, 3, 7, 6])
        let w = b.constant("w", r.normal([4, 3, 3, 3], std: 0.3)), bias = b.constant("b", r.normal([4]))
        let y = b.node("Conv", [x, w, bias], ["pads": .ints([1, 1, 1, 1])])
        b.output(addBatchNorm(&b, y, channels: 4, seed: 2))
        let (after, report) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["Conv"])
        #expect(report.changes == 1)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 7, 6])]) >= 100)
    }

    /// A weight and bias only the folded Conv reads are replaced under their own names; a weight
    /// another Conv reads too stays as it was for that reader, and the folded Conv reads a copy.
    @Test func foldedWeightsKeepTheirNamesUnlessShared() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 9)
        let x = b.input("x", [1, 3, 5, 5])
        let own = b.constant("own", r.normal([4, 3, 1, 1])), bias = b.constant("b", r.normal([4]))
        let shared = b.constant("shared", r.normal([4, 3, 1, 1]))
        b.output(addBatchNorm(&b, b.node("Conv", [x, own, bias]), channels: 4, seed: 10))
        b.output(addBatchNorm(&b, b.node("Conv", [x, shared]), channels: 4, seed: 11))
        b.output(b.node("Conv", [x, shared]))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        let convs = after.graph.nodes.filter { $0.opType == "Conv" }
        #expect(convs.map(\.inputs) == [[x, "own", "b"], [x, "shared_bn", "\(convs[1].name)_bn"], [x, "shared"]])
        #expect(after.graph.initializers["own"] != b.model.graph.initializers["own"])
        #expect(after.graph.initializers["shared"] == b.model.graph.initializers["shared"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 3, 5, 5])]) >= 100)
    }

    @Test func groupedConvTransposeFoldsAlongAxisOne() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 4, 5, 5])
        let w = b.constant("w", r.normal([4, 3, 2, 2], std: 0.3))  // 2 groups of 2 in -> 3 out each: 6 channels
        let y = b.node("ConvTranspose", [x, w], ["group": .int(2), "strides": .ints([2, 2])])
        b.output(addBatchNorm(&b, y, channels: 6, seed: 4))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["ConvTranspose"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 4, 5, 5])]) >= 100)
    }

    @Test(arguments: [false, true])
    func gemmFoldsIntoColumnsAndC(transB: Bool) throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [3, 8])
        let w = b.constant("w", r.normal(transB ? [5, 8] : [8, 5])), c = b.constant("c", r.normal([5]))
        let y = b.node("Gemm", [x, w, c], ["transB": .int(transB ? 1 : 0), "beta": .float(0.5), "alpha": .float(1.5)])
        b.output(addBatchNorm(&b, y, channels: 5, seed: 6))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["Gemm"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([3, 8])]) >= 100)
    }

    @Test func matMulByConstantBecomesMatMulAdd() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 7)
        let x = b.input("x", [4, 6])
        let y = b.node("MatMul", [x, b.constant("w", r.normal([6, 3]))])
        b.output(addBatchNorm(&b, y, channels: 3, seed: 8))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["MatMul", "Add"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([4, 6])]) >= 100)
    }

    @Test func standaloneBatchNormBecomesMulAdd() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 9)
        let x = b.input("x", [2, 3, 4, 4])   // declared rank 4: the scale is shaped [3, 1, 1]
        b.output(b.node("Relu", [addBatchNorm(&b, x, channels: 3, seed: 10)]))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["Mul", "Add", "Relu"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4, 4])]) >= 100)
    }

    /// Opset 7's spatial = 0: a scale per value of each sample (12 for [3, 2, 2]), turned into Mul+Add
    /// as if per channel it made a Mul that could not broadcast.
    @Test func perValueBatchNormIsLeftAlone() throws {
        var b = GraphBuilder(opset: 7)
        var r = RandomTensors(seed: 13)
        let x = b.input("x", [2, 3, 2, 2])
        let scale = b.constant("g", r.uniform([12], 0.5...1.5)), bias = b.constant("beta", r.normal([12]))
        let mean = b.constant("mean", r.normal([12])), variance = b.constant("var", r.uniform([12], 0.2...2))
        b.output(b.node("BatchNormalization", [x, scale, bias, mean, variance], ["spatial": .int(0)]))
        let (after, report) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        #expect(PassChecks.ops(after) == ["BatchNormalization"])
        #expect(report.changes == 0)
    }

    @Test func sharedConvOutputIsNotFolded() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 11)
        let x = b.input("x", [1, 2, 4, 4])
        let y = b.node("Conv", [x, b.constant("w", r.normal([2, 2, 1, 1]))])
        b.output(addBatchNorm(&b, y, channels: 2, seed: 12), b.node("Relu", [y]))
        let (after, _) = try PassChecks.run(FoldBatchNorm(), on: b.model)
        // y has a second reader and no declared rank, so the BatchNormalization stays as it is.
        #expect(PassChecks.ops(after) == ["Conv", "BatchNormalization", "Relu"])
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([1, 2, 4, 4])]) >= 100)
    }
}
