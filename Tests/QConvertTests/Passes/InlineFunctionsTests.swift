import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// inline-functions on the model-local-function cases of Fixtures/ops (their outputs against ONNX
/// Runtime are checked by OpCaseTests) and on hand-built functions it must refuse.
@Suite struct InlineFunctionsTests {
    let directories = TemporaryDirectories()
    static let calledTwice = FixtureCase(name: "local_function_called_twice", directory: Fixtures.root + "/ops/local_function_called_twice")

    /// ConvAct(x, w, b) { c = Conv(x, w, b) {strides: @stride}; y = LeakyRelu(c) {alpha: @alpha, default 0.2} },
    /// called as block1 (stride 2, alpha 0.05) and block2 (stride 1, no alpha).
    @Test func bodiesTakeEachCallsValuesAndAttributes() throws {
        let (after, report) = try PassChecks.run(InlineFunctions(), on: try Self.calledTwice.model())
        let nodes = after.graph.nodes
        #expect(nodes.map(\.opType) == ["Conv", "LeakyRelu", "Conv", "LeakyRelu"])
        #expect(nodes.map(\.name) == ["block1/Conv", "block1/LeakyRelu", "block2/Conv", "block2/LeakyRelu"])
        #expect(nodes.map(\.inputs) == [["x", "w1", "b1"], ["block1/c"], ["h", "w2", "b2"], ["block2/c"]])
        #expect(nodes.map(\.outputs) == [["block1/c"], ["h"], ["block2/c"], ["y"]])
        #expect(nodes[0].attribute("strides") == .ints([2, 2]) && nodes[2].attribute("strides") == .ints([1, 1]))
        #expect(nodes[1].attribute("alpha") == .float(0.05) && nodes[3].attribute("alpha") == .float(0.2))
        #expect(nodes.allSatisfy { $0.attributes.allSatisfy { $0.refAttrName.isEmpty } })
        #expect(after.functions.isEmpty)
        #expect(report.summary == "2 calls of 1 local function inlined")
    }

    /// A copy keeps the functions as they were; static quantization (which failed on the call, an
    /// op the interpreter did not know) inlines them and quantizes both convolutions.
    @Test func copyKeepsFunctionsAndQuantizeInlinesThem() throws {
        let folder = directories.make()
        let model = try Self.calledTwice.model()
        _ = try ONNXWriter.write(model, to: folder + "/copy.onnx")
        #expect(try ONNXReader.read(path: folder + "/copy.onnx") == model)
        var random = RandomTensors(seed: 5)
        _ = try Directory.create(folder + "/calib")
        for k in 0..<8 { try Npy.write(random.normal([1, 3, 8, 8]), to: folder + "/calib/\(k).npy") }
        var options = ModelQuantization.Options(model: Self.calledTwice.modelPath)
        options.calibrationDirectory = folder + "/calib"
        options.output = folder + "/q.onnx"
        options.threads = 1
        let summary = try ModelQuantization.run(options)
        #expect(summary.plan.quantizedCount == 2)
        let quantized = try ONNXReader.read(path: folder + "/q.onnx")
        #expect(quantized.functions.isEmpty)
        #expect(quantized.graph.nodes.filter { $0.opType == "Conv" }.count == 2)
    }

    @Test func aFunctionCallingItselfIsRefused() throws {
        let call = Node(name: "loop", opType: "F", domain: "local", inputs: ["x"], outputs: ["y"])
        var model = Self.model(calling: call)
        model.functions = [LocalFunction(domain: "local", name: "F", inputs: ["x"], outputs: ["y"],
                                         nodes: [Node(name: "", opType: "F", domain: "local", inputs: ["x"], outputs: ["y"])],
                                         opsetImports: [OpsetImport(domain: "", version: 13)])]
        #expect(throws: QConvertError("pass inline-functions: node 'loop/F': function 'local::F' calls itself")) {
            _ = try PassChecks.run(InlineFunctions(), on: model)
        }
    }

    /// F0 calls F1 twice, F1 calls F2 twice...: 2^k nodes after k levels, refused past the limit
    /// before it is built.
    @Test func inliningThatWouldExplodeIsRefused() throws {
        var model = Self.model(calling: Node(name: "call", opType: "F0", domain: "local", inputs: ["x"], outputs: ["y"]))
        let opsets = [OpsetImport(domain: "", version: 13), OpsetImport(domain: "local", version: 1)]
        model.functions = (0..<40).map { k in
            LocalFunction(domain: "local", name: "F\(k)", inputs: ["x"], outputs: ["y"],
                          nodes: [Node(name: "", opType: "F\(k + 1)", domain: "local", inputs: ["x"], outputs: ["a"]),
                                  Node(name: "", opType: "F\(k + 1)", domain: "local", inputs: ["a"], outputs: ["y"])],
                          opsetImports: opsets)
        } + [LocalFunction(domain: "local", name: "F40", inputs: ["x"], outputs: ["y"],
                           nodes: [Node(name: "", opType: "Relu", inputs: ["x"], outputs: ["y"])], opsetImports: opsets)]
        do {
            _ = try PassChecks.run(InlineFunctions(maximumNodes: 1000), on: model)
            Issue.record("2^40 inlined nodes were not refused")
        } catch {
            #expect("\(error)".hasSuffix("inlining local functions would make more than 1,000 nodes"), "\(error)")
        }
    }

    /// F_k is one If whose branches each call F_{k-1}; F_0's If holds 300 nodes in a branch. Counting
    /// only the bodies' top-level nodes (1 each) let this 9 KB shape grow past a gigabyte.
    @Test func nodesInsideBodySubgraphsCount() throws {
        var model = Self.model(calling: Node(name: "call", opType: "F20", domain: "local", inputs: ["x", "c"], outputs: ["y"]))
        let opsets = [OpsetImport(domain: "", version: 13), OpsetImport(domain: "local", version: 1)]
        func branch(_ nodes: [Node], output: String) -> AttributeValue {
            var graph = Graph(name: "b")
            graph.nodes = nodes
            graph.outputs = [ValueInfo(name: output, type: nil)]
            return .graph(graph)
        }
        let relus = (0..<300).map { Node(name: "", opType: "Relu", inputs: [$0 == 0 ? "x" : "r\($0 - 1)"], outputs: ["r\($0)"]) }
        model.graph.inputs.append(ValueInfo(name: "c", type: ValueType(tensor: TensorType(elementType: .bool, shape: []))))
        model.functions = (0...20).map { k in
            let then = k == 0 ? branch(relus, output: "r299") : branch([Node(name: "", opType: "F\(k - 1)", domain: "local", inputs: ["x", "c"], outputs: ["t"])], output: "t")
            let other = k == 0 ? branch([Node(name: "", opType: "Neg", inputs: ["x"], outputs: ["n"])], output: "n") : then
            return LocalFunction(domain: "local", name: "F\(k)", inputs: ["x", "c"], outputs: ["y"],
                                 nodes: [Node(name: "", opType: "If", inputs: ["c"], outputs: ["y"],
                                              attributes: [Attribute(name: "then_branch", value: then), Attribute(name: "else_branch", value: other)])],
                                 opsetImports: opsets)
        }
        do {
            _ = try PassChecks.run(InlineFunctions(maximumNodes: 100_000), on: model)
            Issue.record("2^20 x 300 inlined nodes were not refused")
        } catch {
            #expect("\(error)".hasSuffix("inlining local functions would make more than 100,000 nodes"), "\(error)")
        }
    }

    /// An output that is one of the inputs, made by no node: ONNX Runtime refuses the model; prepare
    /// wrote one in which nothing made the call's output.
    @Test func anOutputNoNodeMakesIsRefused() throws {
        var model = Self.model(calling: Node(name: "call", opType: "G", domain: "local", inputs: ["x"], outputs: ["y"]))
        model.functions = [LocalFunction(domain: "local", name: "G", inputs: ["x"], outputs: ["x"],
                                         nodes: [Node(name: "", opType: "Relu", inputs: ["x"], outputs: ["r"])],
                                         opsetImports: [OpsetImport(domain: "", version: 13)])]
        #expect(throws: QConvertError("pass inline-functions: node 'call' (function 'local::G'): the function's output 'x' is made by none of its nodes")) {
            _ = try PassChecks.run(InlineFunctions(), on: model)
        }
    }

    @Test func aFunctionWrittenForAnotherOpsetIsRefused() throws {
        var model = Self.model(calling: Node(name: "call", opType: "G", domain: "local", inputs: ["x"], outputs: ["y"]))
        model.functions = [LocalFunction(domain: "local", name: "G", inputs: ["x"], outputs: ["y"],
                                         nodes: [Node(name: "", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                                         opsetImports: [OpsetImport(domain: "", version: 11)])]
        #expect(throws: QConvertError("pass inline-functions: function 'local::G' imports the default domain at opset 11, the model at 13")) {
            _ = try PassChecks.run(InlineFunctions(), on: model)
        }
    }

    @Test func aCallWithMoreInputsThanTheFunctionIsRefused() throws {
        var model = Self.model(calling: Node(name: "call", opType: "G", domain: "local", inputs: ["x", "x"], outputs: ["y"]))
        model.functions = [LocalFunction(domain: "local", name: "G", inputs: ["x"], outputs: ["y"],
                                         nodes: [Node(name: "", opType: "Relu", inputs: ["x"], outputs: ["y"])],
                                         opsetImports: [OpsetImport(domain: "", version: 13)])]
        #expect(throws: QConvertError("pass inline-functions: node 'call' (function 'local::G'): the call has 2 inputs and 1 output; the function takes 1 input and 1 output")) {
            _ = try PassChecks.run(InlineFunctions(), on: model)
        }
    }

    /// x -> call -> y, float [4], opset 13 plus domain "local".
    static func model(calling call: Node) -> Model {
        var b = GraphBuilder()
        _ = b.input("x", [4])
        var model = b.model
        model.graph.nodes = [call]
        model.graph.outputs = [ValueInfo(name: "y", type: ValueType(tensor: TensorType(elementType: .float, shape: [.value(4)])))]
        model.opsetImports.append(OpsetImport(domain: "local", version: 1))
        return model
    }
}
