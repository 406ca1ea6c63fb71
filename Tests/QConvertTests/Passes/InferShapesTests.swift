import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// infer-shapes: hand-computed shapes on tiny graphs (a symbolic batch included), and on every fixture
/// the recorded shapes agree with the tensors the interpreter actually produces.
@Suite struct InferShapesTests {
    /// x: [N, 3, 8, 8] -> Conv (3x3, pads 1) -> Relu -> MaxPool (2x2, stride 2) -> Reshape to
    /// [Shape(x)[0], -1] -> MatMul [128, 10] -> Softmax.
    @Test func symbolicBatchFlowsByName() throws {
        var b = GraphBuilder()
        b.graph.inputs.append(ValueInfo(name: "x", elementType: .float, shape: [.param("N"), .value(3), .value(8), .value(8)]))
        var r = RandomTensors(seed: 4)
        let conv = b.node("Conv", ["x", b.constant("w", r.normal([8, 3, 3, 3]))], ["pads": .ints([1, 1, 1, 1])])
        let pool = b.node("MaxPool", [b.node("Relu", [conv])], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        let batch = b.node("Gather", [b.node("Shape", ["x"]), b.constant("zero", Tensor(scalar: Int64(0)))])
        let target = b.node("Concat", [b.node("Unsqueeze", [batch, b.constant("ax", Tensor(scalars: [Int64(0)]))]),
                                       b.constant("rest", Tensor(scalars: [Int64(-1)]))], ["axis": .int(0)])
        let flat = b.node("Reshape", [pool, target])
        let logits = b.node("MatMul", [flat, b.constant("w2", r.normal([128, 10]))])
        b.output(b.node("Softmax", [logits], ["axis": .int(-1)]))
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        let n = Dim.param("N")
        #expect(shape(after, conv) == [n, .value(8), .value(8), .value(8)])
        #expect(shape(after, pool) == [n, .value(8), .value(4), .value(4)])
        #expect(shape(after, target) == [.value(2)])
        #expect(shape(after, flat) == [n, .value(128)])
        #expect(shape(after, logits) == [n, .value(10)])
        #expect(after.graph.outputs[0].tensorType?.shape == [n, .value(10)])
        #expect(after.graph.valueInfo[batch]?.tensorType?.elementType == .int64)
        #expect(try PassChecks.shapeAgreement(after, feeds: ["x": r.normal([2, 3, 8, 8])]).mismatches == [])
    }

    /// A rule per op of the real models, on static shapes: each hand-computed, and the interpreter agrees.
    @Test func opsOfTheRealModels() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 4, 6, 10])
        var r = RandomTensors(seed: 5)
        let up = b.node("ConvTranspose", [x, b.constant("wt", r.normal([4, 2, 2, 2]))], ["strides": .ints([2, 2])])
        let resized = b.node("Resize", [x, "", b.constant("scales", Tensor(scalars: [Float(1), 1, 2, 2]))], ["mode": .string(Array("nearest".utf8))])
        let joined = b.node("Concat", [up, resized], ["axis": .int(1)])
        let parts = b.node("Split", [joined, b.constant("split", Tensor(scalars: [Int64(2), 4]))], ["axis": .int(1)], outputs: 2, name: "sp")
        let sliced = b.node("Slice", [parts, b.constant("s", Tensor(scalars: [Int64(1)])), b.constant("e", Tensor(scalars: [Int64(Int32.max)])),
                                      b.constant("a", Tensor(scalars: [Int64(3)])), b.constant("st", Tensor(scalars: [Int64(3)]))])
        let pooled = b.node("AveragePool", [sliced], ["kernel_shape": .ints([3, 3]), "ceil_mode": .int(1), "strides": .ints([2, 2])])
        let moved = b.node("Transpose", [pooled], ["perm": .ints([0, 2, 3, 1])])
        let mean = b.node("ReduceMean", [moved], ["axes": .ints([1]), "keepdims": .int(0)])
        let global = b.node("GlobalAveragePool", [b.node("BatchNormalization", [joined] + ["g", "bt", "m", "v"].map {
            b.constant($0, Tensor(scalars: [Float](repeating: 1, count: 6)))
        })])
        let squeezed = b.node("Squeeze", [global, b.constant("sq", Tensor(scalars: [Int64(2), 3]))])
        let dense = b.node("Gemm", [squeezed, b.constant("wg", r.normal([5, 6]))], ["transB": .int(1)])
        let gathered = b.node("Gather", [mean, b.constant("idx", Tensor(shape: [2, 2], scalars: [Int64(0), 1, 1, 0]))], ["axis": .int(1)])
        let flat = b.node("Flatten", [b.node("Clip", [b.node("HardSigmoid", [gathered])])], ["axis": .int(2)])
        let counted = b.node("Cast", [b.node("Unsqueeze", [dense, b.constant("us", Tensor(scalars: [Int64(0)]))])], ["to": .int(7)])
        b.output(flat, counted, "sp_1")
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        let expected: [(String, [Int])] = [
            (up, [1, 2, 12, 20]), (resized, [1, 4, 12, 20]), (joined, [1, 6, 12, 20]), (parts, [1, 2, 12, 20]),
            ("sp_1", [1, 4, 12, 20]), (sliced, [1, 2, 12, 7]), (pooled, [1, 2, 6, 3]), (moved, [1, 6, 3, 2]),
            (mean, [1, 3, 2]), (global, [1, 6, 1, 1]), (squeezed, [1, 6]), (dense, [1, 5]), (gathered, [1, 2, 2, 2]),
            (flat, [2, 4]), (counted, [1, 1, 5]),
        ]
        for (value, dims) in expected {
            #expect(shape(after, value) == dims.map { .value($0) }, "\(value)")
        }
        #expect(after.graph.declaredType(of: counted)?.elementType == .int64)
        let check = try PassChecks.shapeAgreement(after, feeds: ["x": r.normal([1, 4, 6, 10])])
        #expect(check.mismatches == [])
        #expect(check.checked == expected.count + 4)
    }

    /// An input dim declared unknown (-1, Paddle's "?") is named after its input and axis, so it flows.
    @Test func unknownInputDimsAreNamed() throws {
        var b = GraphBuilder()
        b.graph.inputs.append(ValueInfo(name: "x", elementType: .float, shape: [.value(-1), .param("?"), .value(4)]))
        let y = b.node("Relu", ["x"])
        b.output(b.node("Add", [y, b.node("Sigmoid", ["x"])]))
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        #expect(shape(after, y) == [.param("x_dim0"), .param("x_dim1"), .value(4)])
        #expect(after.graph.outputs[0].tensorType?.shape == [.param("x_dim0"), .param("x_dim1"), .value(4)])
        #expect(after.graph.inputs == b.model.graph.inputs)
    }

    /// Why prepare infers shapes first: Shape of an intermediate value whose shape is static then folds.
    @Test func prepareFoldsShapeOfAStaticIntermediate() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3, 4])
        let y = b.node("Relu", [x])
        b.output(b.node("Reshape", [b.node("Sigmoid", [x]), b.node("Shape", [y])]), y)
        let prepared = try Preparation.run(b.model, options: .init(verify: true)).model
        #expect(PassChecks.ops(prepared) == ["Relu", "Sigmoid", "Reshape"])
    }

    /// An op without a shape rule leaves its outputs, and everything computed from them, unknown.
    @Test func unknownOpLeavesItsOutputsUnknown() throws {
        var b = GraphBuilder()
        let x = b.input("x", [2, 3])
        let custom = b.node("Scramble", [x], outputs: 2)
        b.graph.nodes[b.graph.nodes.count - 1].domain = "com.example"
        let after = b.node("Relu", [custom])
        b.output(after, b.node("Relu", [x]))
        let (model, report) = try PassChecks.run(InferShapes(), on: b.model)
        #expect(shape(model, after) == nil)
        #expect(model.graph.outputs[1].tensorType?.shape == [.value(2), .value(3)])
        #expect(report.summary.contains("no shape rule for Scramble"))
    }

    /// Every fixture the interpreter can run (all but unknown_op): the recorded shapes agree with the
    /// tensors the interpreter produces on its inputs.
    @Test(arguments: Fixtures.models().filter { $0.name != "unknown_op" })
    func fixtureShapesMatchTheInterpreter(_ fixture: FixtureCase) throws {
        let (after, _) = try PassChecks.run(InferShapes(), on: try fixture.model())
        let check = try PassChecks.shapeAgreement(after, feeds: try fixture.feeds())
        #expect(check.mismatches == [])
        #expect(check.checked > 0)
    }

    private func shape(_ model: Model, _ value: String) -> [Dim]? {
        model.graph.declaredType(of: value)?.shape
    }
}
