import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Hostile models too big or too regular to commit as fixtures (issue 9): built in the IR, serialized
/// by the writer (which does not check what the reader checks), and read back from memory. Each must
/// load correctly or fail with one line, without sizing anything from an unchecked field. The small
/// hand-made cases live in Fixtures/hostile (ReaderErrorTests).
@Suite struct ReaderHostileTests {
    /// Reads serialized bytes; the model, or the error's one-line description.
    func read(_ bytes: [UInt8]) -> Result<Model, QConvertError> {
        do {
            return .success(try bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: nil) })
        } catch let error as QConvertError {
            #expect(!error.description.contains("\n"))
            return .failure(error)
        } catch {
            Issue.record("unexpected error type \(error)")
            return .failure(QConvertError("\(error)"))
        }
    }

    func error(_ model: Model) throws -> String {
        guard case .failure(let error) = read(try ONNXWriter.serialize(model)) else { return "no error" }
        return error.description
    }

    /// x -> If(cond) whose then branch holds the next level, `depth` levels down; the else branches
    /// and the innermost then branch pass x, read from the outermost scope, through.
    static func nested(depth: Int) -> Model {
        let leaf = Graph(name: "leaf", nodes: [Node(opType: "Identity", inputs: ["x"], outputs: ["leaf_out"])],
                         outputs: [ValueInfo(name: "leaf_out")])
        func level(_ remaining: Int) -> Graph {
            guard remaining > 0 else { return leaf }
            let out = "out\(remaining)"
            let node = Node(opType: "If", inputs: ["cond"], outputs: [out],
                            attributes: [Attribute(name: "then_branch", value: .graph(level(remaining - 1))),
                                         Attribute(name: "else_branch", value: .graph(leaf))])
            return Graph(name: "level\(remaining)", nodes: [node], outputs: [ValueInfo(name: out)])
        }
        var graph = level(depth)
        graph.inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(1)]),
                        ValueInfo(name: "cond", elementType: .bool, shape: [])]
        return Model(graph: graph)
    }

    static func depth(of graph: Graph) -> Int {
        graph.nodes.flatMap(\.subgraphs).map { 1 + depth(of: $0) }.max() ?? 0
    }

    /// 25 levels of If (75 messages deep) load whole; protobuf's nesting limit (100 messages) makes 40
    /// levels a one-line error, so nothing above it recurses deeper than that.
    @Test func deeplyNestedSubgraphs() throws {
        guard case .success(let model) = read(try ONNXWriter.serialize(Self.nested(depth: 25))) else {
            Issue.record("25 levels of subgraphs did not load")
            return
        }
        #expect(Self.depth(of: model.graph) == 25)
        #expect(try error(Self.nested(depth: 40)).contains("nested more than 100 deep"))
    }

    /// A Sum node reading x a million times (3 MB of names) loads in full; one undefined name among
    /// them, the last, is found and named.
    @Test func nodeWithAMillionInputs() throws {
        var inputs = [String](repeating: "x", count: 1_000_000)
        func model() -> Model {
            Model(graph: Graph(nodes: [Node(name: "wide", opType: "Sum", inputs: inputs, outputs: ["y"])],
                               inputs: [ValueInfo(name: "x", elementType: .float, shape: [.value(4)])],
                               outputs: [ValueInfo(name: "y")]))
        }
        guard case .success(let loaded) = read(try ONNXWriter.serialize(model())) else {
            Issue.record("a node with 10^6 inputs did not load")
            return
        }
        #expect(loaded.graph.nodes.first?.inputs.count == 1_000_000)
        inputs[999_999] = "missing"
        #expect(try error(model()) == "node 'wide' (Sum) reads 'missing', which no node, graph input or initializer defines")
    }

    /// A weight whose shape claims far more elements than the raw_data it carries (the writer does not
    /// check; the reader must, before any allocation).
    @Test func rawDataFarSmallerThanTheShape() throws {
        let w = Tensor(dataType: .float, shape: [1 << 20, 1 << 20], storage: TensorStorage(byteCount: 64) { _ in })
        let model = Model(graph: Graph(initializers: ["w": w], outputs: [ValueInfo(name: "w")]))
        #expect(try error(model) == "tensor 'w': has 64 bytes of raw_data; type float32 and shape need 4398046511104")
    }

    /// 4-bit elements just under Int.max / 4: the byte count's rounding must not overflow.
    @Test func subByteCountNearIntMax() throws {
        let w = Tensor(dataType: .int4, shape: [Int.max / 4], storage: TensorStorage(byteCount: 1) { _ in })
        let model = Model(graph: Graph(initializers: ["w": w], outputs: [ValueInfo(name: "w")]))
        #expect(try error(model) == "tensor 'w': has 1 bytes of raw_data; type int4 and shape need \(Int.max / 4 / 2 + 1)")
    }

    /// Elements that fit Int but whose bytes do not.
    @Test func byteCountOverflow() throws {
        let w = Tensor(dataType: .double, shape: [Int.max / 4], storage: TensorStorage(byteCount: 8) { _ in })
        let model = Model(graph: Graph(initializers: ["w": w], outputs: [ValueInfo(name: "w")]))
        #expect(try error(model) == "tensor 'w': \(Int.max / 4) elements of float64 overflow a 64-bit byte count")
    }

    @Test func nodeReadingItsOwnOutput() throws {
        let model = Model(graph: Graph(nodes: [Node(name: "loop", opType: "Relu", inputs: ["a"], outputs: ["a"])],
                                       outputs: [ValueInfo(name: "a")]))
        #expect(try error(model) == "node 'loop' (Relu) reads its own output 'a'")
    }

    /// A negative dimension in a declared shape (some exporters write -1 for "unknown") is carried as
    /// given, round trip included; nothing sizes memory from declared shapes.
    @Test func negativeDeclaredDimension() throws {
        let declared = ValueInfo(name: "x", elementType: .float, shape: [.value(-1), .value(4)])
        let model = Model(graph: Graph(nodes: [Node(opType: "Relu", inputs: ["x"], outputs: ["y"])],
                                       inputs: [declared], outputs: [ValueInfo(name: "y")]))
        guard case .success(let loaded) = read(try ONNXWriter.serialize(model)) else {
            Issue.record("a negative declared dim did not load")
            return
        }
        #expect(loaded.graph.inputs == [declared])
    }
}
