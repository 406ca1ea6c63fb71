import QConvertIR
import Testing

/// Graph structure helpers: ordering, validation, constants, outer-scope reads.
@Suite struct GraphTests {
    func node(_ op: String, _ inputs: [String], _ outputs: [String]) -> Node {
        Node(name: outputs[0], opType: op, inputs: inputs, outputs: outputs)
    }

    @Test func topologicalOrderSortsOutOfOrderNodesAndKeepsSortedOnes() throws {
        var graph = Graph(inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "c")])
        graph.nodes = [node("Relu", ["b"], ["c"]), node("Relu", ["x"], ["a"]), node("Relu", ["a"], ["b"])]
        #expect(try graph.topologicalOrder() == [1, 2, 0])
        graph.nodes = [node("Relu", ["x"], ["a"]), node("Relu", ["a"], ["b"]), node("Relu", ["b"], ["c"])]
        #expect(try graph.topologicalOrder() == [0, 1, 2])
    }

    @Test func validateRejectsUndefinedReadsAndMissingOutputs() {
        let graph = Graph(nodes: [node("Relu", ["nope"], ["y"])], inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
        #expect(throws: QConvertError.self) { try graph.validate() }
        let noOutput = Graph(inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "missing")])
        #expect(throws: QConvertError("graph output 'missing' is not produced by any node, input or initializer")) { try noOutput.validate() }
    }

    @Test func subgraphMayReadOuterValues() throws {
        let branch = Graph(nodes: [node("Relu", ["x"], ["r"])], outputs: [ValueInfo(name: "r")])
        var ifNode = node("If", ["cond"], ["y"])
        ifNode.attributes = [Attribute(name: "then_branch", value: .graph(branch)), Attribute(name: "else_branch", value: .graph(branch))]
        let graph = Graph(nodes: [ifNode], inputs: [ValueInfo(name: "x"), ValueInfo(name: "cond")], outputs: [ValueInfo(name: "y")])
        try graph.validate()
        #expect(branch.outerScopeReads() == ["x"])
        #expect(graph.consumers()["x"] == [0])
    }

    @Test func constantNodesAreConstants() {
        var constant = node("Constant", [], ["k"])
        constant.attributes = [Attribute(name: "value_ints", value: .ints([3, 4]))]
        var graph = Graph(nodes: [constant])
        graph.initializers["w"] = Tensor(scalar: Float(2))
        let constants = graph.constantTensors()
        #expect(constants["k"]?.integers() == [3, 4])
        #expect(constants["w"]?.floats() == [2])
    }
}
