import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// CompiledGraph computes constant-only nodes once when it compiles, unless their result is much larger
/// than their inputs; the run hook shows which nodes still run per sample.
@Suite struct ConstantFoldingTests {
    /// y = x * Reshape(w, [2, 3]) + ConstantOfShape([64, 64, 8]) summed over the big fill, with the
    /// names of the values the hook saw.
    static func run() throws -> (y: Tensor, seen: [String]) {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3])
        let w = b.constant("w", Tensor(shape: [6], scalars: [Float(1), 2, 3, 4, 5, 6]))
        let shape = b.constant("shape", Tensor(scalars: [Int64(2), 3]))
        let weights = b.node("Reshape", [w, shape], name: "reshape")
        let product = b.node("Mul", [x, weights], name: "mul")
        let bigShape = b.constant("big_shape", Tensor(scalars: [Int64(64), 64, 8]))
        let fill = b.node("ConstantOfShape", [bigShape], ["value": .tensor(Tensor(shape: [1], scalars: [Float(0.5)]))], name: "fill")
        let axes = b.constant("axes", Tensor(scalars: [Int64(0), 1, 2]))
        let total = b.node("ReduceSum", [fill, axes], ["keepdims": .int(0)], name: "total")
        let y = b.node("Add", [product, total], name: "y")
        b.output(y)
        var seen: [String] = []
        let outputs = try Interpreter(model: b.model, threads: 1).run(["x": Tensor(shape: [2, 3], scalars: [Float](repeating: 1, count: 6))]) { name, _ in
            seen.append(name)
        }
        return (try #require(outputs[y]), seen)
    }

    @Test func smallConstantChainsFoldAndLargeFillsRunPerSample() throws {
        let (y, seen) = try Self.run()
        // 64 * 64 * 8 * 0.5 = 16384 added to the reshaped weights.
        #expect(y.scalars(of: Float.self) == [16385, 16386, 16387, 16388, 16389, 16390])
        #expect(!seen.contains("reshape"), "Reshape of constants runs once at compile time")
        #expect(seen == ["x", "mul", "fill", "total", "y"], "a 128 KB fill from a 24-byte shape is not kept")
    }

    /// y = x + DequantizeLinear(w) for a side x side int8 constant w (scale 0.5, zero point 0); at the
    /// default 160 its 100 KB of float grow past the general folding allowance. The hook shows whether
    /// they were computed once or per sample.
    static func runDequantize(budget: Int, side: Int = 160) throws -> (y: Tensor, seen: [String]) {
        let count = side * side
        var b = GraphBuilder()
        let x = b.input("x", [side, side])
        let w = b.constant("w", Tensor(shape: [side, side], scalars: (0..<count).map { Int8(truncatingIfNeeded: $0 % 200 - 100) }))
        let scale = b.constant("scale", Tensor(scalar: Float(0.5)))
        let weights = b.node("DequantizeLinear", [w, scale], name: "dequantize")
        let y = b.node("Add", [x, weights], name: "y")
        b.output(y)
        let graph = try CompiledGraph(graph: b.model.graph, opsets: ["": 13], dequantizeBudget: budget)
        var seen: [String] = []
        let outputs = try graph.run(["x": Tensor(shape: [side, side], scalars: [Float](repeating: 1, count: count))], context: RunContext(threads: 1)) { name, _ in
            seen.append(name)
        }
        return (try #require(outputs[y]), seen)
    }

    @Test func dequantizedConstantsFoldWithinTheirBudget() throws {
        let expected = (0..<25600).map { 1 + Float($0 % 200 - 100) * 0.5 }
        let folded = try Self.runDequantize(budget: 76796)   // 102400 bytes of float from 25600 of int8 and a 4-byte scale
        #expect(folded.y.scalars(of: Float.self) == expected)
        #expect(folded.seen == ["x", "y"], "the weights are dequantized once, at compile time")
        let perSample = try Self.runDequantize(budget: 76795)
        #expect(perSample.y.scalars(of: Float.self) == expected)
        #expect(perSample.seen == ["x", "dequantize", "y"], "beyond the budget they are dequantized per sample")
        let small = try Self.runDequantize(budget: 0, side: 64)
        #expect(small.seen == ["x", "y"], "growth within the general allowance folds whatever the budget")
    }

    /// A graph input that also has an initializer is compiled as a constant (weights packed, values
    /// folded): feeding it is refused with a message rather than silently ignored (found by review);
    /// without a feed the initializer is used.
    @Test func feedingAnInputBackedByAnInitializerIsRefused() throws {
        let graph = Graph(nodes: [Node(name: "m", opType: "Mul", inputs: ["x", "k"], outputs: ["y"])],
                          initializers: ["k": Tensor(shape: [1], scalars: [Float(2)])],
                          inputs: [ValueInfo(name: "x"), ValueInfo(name: "k")], outputs: [ValueInfo(name: "y")])
        let interpreter = try Interpreter(model: Model(graph: graph), threads: 1)
        let x = Tensor(shape: [1], scalars: [Float(3)])
        #expect(try interpreter.run(["x": x])["y"]?.scalars(of: Float.self) == [6])
        #expect(throws: QConvertError.self) { try interpreter.run(["x": x, "k": Tensor(shape: [1], scalars: [Float(5)])]) }
    }
}
