import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// If branches reading values of the graphs around them: the main graph's initializers and Constant
/// outputs (which compiled subgraphs used to look up without a slot, a crash), and inputs many
/// levels out. Expected values are computed by hand.
@Suite struct SubgraphScopeTests {
    /// y = If(x > 0) then x + w else x - w, with w = 2 an initializer of the main graph.
    static func branchReadingAWeight() -> Model {
        let then = Graph(name: "then", nodes: [Node(opType: "Add", inputs: ["x", "w"], outputs: ["t"])], outputs: [ValueInfo(name: "t")])
        let otherwise = Graph(name: "else", nodes: [Node(opType: "Sub", inputs: ["x", "w"], outputs: ["e"])], outputs: [ValueInfo(name: "e")])
        return Model(graph: Graph(
            nodes: [Node(opType: "Greater", inputs: ["x", "zero"], outputs: ["cond"]),
                    Node(opType: "If", inputs: ["cond"], outputs: ["y"],
                         attributes: [Attribute(name: "then_branch", value: .graph(then)),
                                      Attribute(name: "else_branch", value: .graph(otherwise))])],
            initializers: ["w": Tensor(shape: [1], scalars: [Float(2)]), "zero": Tensor(shape: [1], scalars: [Float(0)])],
            inputs: [ValueInfo(name: "x", elementType: .float, shape: [.value(1)])],
            outputs: [ValueInfo(name: "y")]))
    }

    @Test(arguments: [(Float(3), Float(5)), (-3, -5)])
    func branchReadsAnInitializerOfTheMainGraph(x: Float, expected: Float) throws {
        let y = try Interpreter(model: Self.branchReadingAWeight(), threads: 1).run(["x": Tensor(shape: [1], scalars: [x])])["y"]
        #expect(y?.scalars(of: Float.self) == [expected])
    }

    /// 25 nested If levels; the condition is a Constant node of the main graph and the innermost
    /// branch returns x + w (w = 2, an initializer of the main graph): every level reads outward.
    @Test func deeplyNestedBranchesReadTheOutermostScope() throws {
        let leaf = Graph(name: "leaf", nodes: [Node(opType: "Add", inputs: ["x", "w"], outputs: ["leaf_out"])],
                         outputs: [ValueInfo(name: "leaf_out")])
        var body = leaf
        for level in 1...25 {
            let node = Node(opType: "If", inputs: ["cond"], outputs: ["out\(level)"],
                            attributes: [Attribute(name: "then_branch", value: .graph(body)),
                                         Attribute(name: "else_branch", value: .graph(leaf))])
            body = Graph(name: "level\(level)", nodes: [node], outputs: [ValueInfo(name: "out\(level)")])
        }
        let condition = Node(opType: "Constant", inputs: [], outputs: ["cond"],
                             attributes: [Attribute(name: "value", value: .tensor(Tensor(shape: [], scalars: [UInt8(1)]).retyped(.bool)))])
        let model = Model(graph: Graph(nodes: [condition] + body.nodes, initializers: ["w": Tensor(shape: [1], scalars: [Float(2)])],
                                       inputs: [ValueInfo(name: "x", elementType: .float, shape: [.value(1)])],
                                       outputs: body.outputs))
        let y = try Interpreter(model: model, threads: 1).run(["x": Tensor(shape: [1], scalars: [Float(7)])])["out25"]
        #expect(y?.scalars(of: Float.self) == [9])
    }
}

extension Tensor {
    /// The same bytes as another element type of the same width (UInt8 -> bool).
    func retyped(_ type: DataType) -> Tensor {
        Tensor(dataType: type, shape: shape, storage: storage)
    }
}
