import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// convert-to-qoperator on a QDQ model qconvert wrote: each quantized group becomes its integer
/// op (ONNX Runtime's com.microsoft ones for Add, Mul, Concat, GlobalAveragePool, Sigmoid), and the
/// integers it computes are the QDQ form's, at most one step apart where the two round differently.
@Suite struct ConvertToQOperatorTests {
    let directories = TemporaryDirectories()

    /// A residual Add + Relu, a SiLU (Sigmoid, Mul), a Concat, and a GlobalAveragePool and a
    /// LeakyRelu whose input and output int8 layers read, all between int8 convolutions.
    func floatModel() -> Model {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 8)
        let pads: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        func conv(_ x: String, _ name: String, _ shape: [Int], _ attributes: [String: AttributeValue] = [:]) -> String {
            b.node("Conv", [x, b.constant(name, r.normal(shape, std: 0.3))], attributes)
        }
        let x = b.input("x", [1, 4, 6, 6])
        let a = b.node("Relu", [conv(x, "w1", [4, 4, 3, 3], pads)])
        let sum = b.node("Relu", [b.node("Add", [a, conv(a, "w2", [4, 4, 3, 3], pads)])])
        let silu = b.node("Mul", [sum, b.node("Sigmoid", [sum])])
        let joined = b.node("Concat", [silu, a], ["axis": .int(1)])
        let f = conv(joined, "w3", [4, 8, 1, 1])
        let pooled = conv(b.node("GlobalAveragePool", [f]), "w4", [4, 4, 1, 1])
        // An int8 layer reading the Add's Relu quantizes it, and makes the SiLU one between int8 layers.
        let leaky = conv(b.node("LeakyRelu", [f], ["alpha": .float(0.1)]), "w7", [4, 4, 1, 1])
        b.output(b.node("Add", [b.node("Add", [conv(f, "w5", [4, 4, 1, 1]), pooled]), b.node("Add", [conv(sum, "w6", [4, 4, 1, 1]), leaky])]))
        return b.model
    }

    @Test func groupsBecomeIntegerOpsComputingTheSameIntegers() throws {
        var r = RandomTensors(seed: 9)
        let run = try QuantizationCase(floatModel(), in: directories.make(), samples: 12, inputShape: [1, 4, 6, 6], random: &r)
        _ = try run.run()
        let qdq = try ONNXReader.read(path: run.folder + "/q.onnx")
        let (converted, report) = try PassChecks.run(ConvertToQOperator(), on: qdq)
        let ops = Set(converted.graph.nodes.filter { $0.domain == "com.microsoft" }.map(\.opType))
        #expect(ops == ["QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearConcat", "QLinearGlobalAveragePool", "QLinearLeakyRelu"], "\(report.summary)")
        #expect(converted.graph.nodes.first { $0.opType == "QLinearLeakyRelu" }?.attributes == [Attribute(name: "alpha", value: .float(0.1))])
        #expect(converted.opsetVersion(domain: "com.microsoft") == 1)
        // The Relu after the residual Add is implied by its output grid (zero point 0) and dropped.
        #expect(!converted.graph.nodes.contains { $0.opType == "Relu" })
        // Every quantized tensor both forms compute (the integer outputs kept their names) agrees.
        let integers = Set(converted.graph.nodes.filter { $0.domain == "com.microsoft" || $0.opType == "QLinearConv" }.flatMap(\.outputs))
        for k in 0..<4 {
            let feeds = ["x": r.normal([1, 4, 6, 6])]
            let before = try Interpreter(model: qdq, threads: 1).run(feeds, keep: integers)
            let after = try Interpreter(model: converted, threads: 1).run(feeds, keep: integers)
            for name in integers {
                let a = try #require(before[name]?.integers(), "\(name)"), b = try #require(after[name]?.integers())
                #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1 }, "sample \(k): \(name)")
            }
        }
    }
}
