import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// eliminate-identity, eliminate-dead-nodes, collapse-reshape-transpose and fold-constants on tiny
/// graphs: the op sequence after, and unchanged outputs.
@Suite struct SimplifyPassTests {
    @Test func identityAndDropoutDisappear() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3])
        let y = b.node("Identity", [b.node("Relu", [x])])
        let z = b.node("Dropout", [y])
        b.output(b.node("Sigmoid", [z]), b.node("Identity", [z]))
        let (after, report) = try PassChecks.run(EliminateIdentity(), on: b.model)
        // The last Identity feeds a graph output whose producer (Dropout, now gone) cannot be renamed
        // onto it without also renaming Relu's output, which Sigmoid reads: it stays.
        #expect(PassChecks.ops(after) == ["Relu", "Sigmoid", "Identity"])
        #expect(report.changes == 2)
        var r = RandomTensors(seed: 1)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3])]) == .infinity)
    }

    @Test func identityBeforeOutputRenamesItsProducer() throws {
        var b = GraphBuilder()
        let x = b.input("x", [4])
        b.output(b.node("Identity", [b.node("Relu", [x])], name: "out"))
        let (after, _) = try PassChecks.run(EliminateIdentity(), on: b.model)
        #expect(PassChecks.ops(after) == ["Relu"])
        #expect(after.graph.nodes[0].outputs == ["out"])
    }

    @Test func deadNodesAndUnusedInitializersGo() throws {
        var b = GraphBuilder()
        let x = b.input("x", [3])
        _ = b.node("Add", [x, b.constant("unused", Tensor(scalars: [Float(1), 2, 3]))])
        b.output(b.node("Relu", [x]))
        let (after, report) = try PassChecks.run(EliminateDeadNodes(), on: b.model)
        #expect(PassChecks.ops(after) == ["Relu"])
        #expect(after.graph.initializers.isEmpty)
        #expect(report.changes == 2)
    }

    @Test func inverseTransposesCancelAndReshapesMerge() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3, 4])
        let t = b.node("Transpose", [b.node("Transpose", [x], ["perm": .ints([2, 0, 1])])], ["perm": .ints([1, 2, 0])])
        let r1 = b.node("Reshape", [t, b.constant("s1", Tensor(scalars: [Int64(6), 4]))])
        let r2 = b.node("Reshape", [r1, b.constant("s2", Tensor(scalars: [Int64(4), -1]))])
        b.output(b.node("Relu", [r2]))
        let (after, report) = try PassChecks.run(CollapseReshapeTranspose(), on: b.model)
        #expect(PassChecks.ops(after) == ["Reshape", "Relu"])
        #expect(report.changes == 2)
        var r = RandomTensors(seed: 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 3, 4])]) == .infinity)
    }

    /// A perm that is not a permutation (out of range, repeated) is not composed (that indexed past
    /// the inner perm, a crash); the kernel refuses it when the model runs.
    @Test func malformedPermIsLeftAlone() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3])
        b.output(b.node("Transpose", [b.node("Transpose", [x], ["perm": .ints([1, 0])])], ["perm": .ints([0, 2])]))
        let (after, report) = try PassChecks.run(CollapseReshapeTranspose(), on: b.model)
        #expect(PassChecks.ops(after) == ["Transpose", "Transpose"])
        #expect(report.changes == 0)
    }

    @Test func constantSubgraphsFoldAndConstantNodesBecomeInitializers() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 6])
        var constant = Node(name: "k", opType: "Constant", inputs: [], outputs: ["k"])
        constant.attributes = [Attribute(name: "value", value: .tensor(Tensor(scalars: [Int64(3), -1])))]
        b.graph.nodes.append(constant)
        let w = b.constant("w", Tensor(shape: [2, 6], scalars: (0..<12).map { Float($0) }))
        let shape = b.node("Shape", [w])                              // [2, 6] from a constant
        let first = b.node("Gather", [shape, b.constant("zero", Tensor(scalar: Int64(0)))], ["axis": .int(0)])
        let target = b.node("Concat", [b.node("Unsqueeze", [first, b.constant("ax", Tensor(scalars: [Int64(0)]))]), "k"], ["axis": .int(0)])
        b.output(b.node("Reshape", [b.node("Add", [x, w]), target]))
        let (after, _) = try PassChecks.run(FoldConstants(), on: b.model)
        #expect(PassChecks.ops(after) == ["Add", "Reshape"])
        #expect(after.graph.initializers[target]?.integers() == [2, 3, -1])
        var r = RandomTensors(seed: 3)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 6])]) == .infinity)
    }

    @Test func shapeOfStaticInputFolds() throws {
        var b = GraphBuilder()
        let x = b.input("x", [3, 5])
        b.output(b.node("Reshape", [x, b.node("Shape", [x])]))
        let (after, _) = try PassChecks.run(FoldConstants(), on: b.model)
        #expect(PassChecks.ops(after) == ["Reshape"])
    }

    /// A Reshape target computed through float arithmetic (which shape inference does not follow)
    /// is known only once folded; the Shape of the Reshape's output then folds in a second round.
    @Test func foldingRepeatsWhileShapesBecomeKnown() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 12])
        let halved = b.node("Mul", [b.node("Cast", [b.node("Shape", [x])], ["to": .int(1)]), b.constant("k", Tensor(scalars: [Float(2), 0.5]))])
        let y = b.node("Reshape", [x, b.node("Cast", [halved], ["to": .int(7)])])
        let shapeOfY = b.node("Shape", [y])
        b.output(b.node("Reshape", [y, shapeOfY]))
        var model = b.model
        _ = try InferShapes().run(&model, PassContext())
        let (after, _) = try PassChecks.run(FoldConstants(), on: model)
        #expect(PassChecks.ops(after) == ["Reshape", "Reshape"])
        var r = RandomTensors(seed: 2)
        #expect(try PassChecks.outputAgreement(b.model, after, feeds: ["x": r.normal([2, 12])]) == .infinity)
    }
}
