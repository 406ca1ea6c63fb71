import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// infer-shapes rules for Pad, Range, Tile, TopK, ArgMax/ArgMin, GatherElements, LSTM, GRU, If,
/// comparisons, And/Or, Size, NonZero, OneHot and NonMaxSuppression:
/// each on a tiny graph with a symbolic batch where the op allows one, the recorded shapes computed by
/// hand from the ONNX spec, and the interpreter, run on random inputs, producing exactly those types
/// and shapes.
@Suite struct InferShapesRulesTests {
    let n = Dim.param("N")

    /// x [N, 3, 4] padded by 0/0, 1/2 and -1/3 gives [N, 6, 6], the pads read from the attribute
    /// (opset 10), a constant input (11) or a constant input over listed axes (18). Pads known only at
    /// run time leave every dim unknown.
    @Test(arguments: [10, 11, 18])
    func padGrowsEachAxisByItsPads(opset: Int) throws {
        var b = GraphBuilder(opset: opset)
        let x = b.input("x", [n, .value(3), .value(4)])
        let padded = switch opset {
        case ..<11: b.node("Pad", [x], ["pads": .ints([0, 1, -1, 0, 2, 3])])
        case ..<18: b.node("Pad", [x, b.constant("pads", Tensor(scalars: [Int64(0), 1, -1, 0, 2, 3]))])
        default: b.node("Pad", [x, b.constant("pads", Tensor(scalars: [Int64(1), -1, 2, 3])), "",
                                b.constant("axes", Tensor(scalars: [Int64(1), -1]))])
        }
        var expected: [Expected] = [(padded, .float, [n, .value(6), .value(6)])]
        var random = RandomTensors(seed: 1)
        var feeds = ["x": random.normal([2, 3, 4])]
        if opset >= 11 {
            expected.append((b.node("Pad", [x, b.input("p", [6], type: .int64)]), .float, [.unknown, .unknown, .unknown]))
            feeds["p"] = Tensor(scalars: [Int64(1), 0, 2, 0, 1, -1])
        }
        try expectShapes(b, expected, feeds: [feeds])
    }

    /// Pads past Int overflowed (a trap in infer-shapes, so in inspect and prepare); a Pad or Resize
    /// output past `ShapeCount`'s limit was recorded. Both now leave the output unknown (the
    /// interpreter then gives the error).
    @Test func padAndResizePastTheLimitStayUnknown() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 1, 4, 4])
        let expected: [Expected] = [
            (b.node("Pad", [x, b.constant("huge", Tensor(scalars: [Int64(0), 0, 0, .max, 0, 0, 0, .max]))]), .float, nil),
            (b.node("Pad", [x, b.constant("wide", Tensor(scalars: [Int64(0), 0, 1 << 20, 1 << 20, 0, 0, 0, 0]))]), .float, nil),
            (b.node("Resize", [x, "", b.constant("scales", Tensor(scalars: [Float(1), 1, 1e9, 1e9]))]), .float, nil),
            (b.node("Resize", [x, "", "", b.constant("sizes", Tensor(scalars: [Int64(1), 1, 1 << 30, 1 << 30]))]), .float, nil),
        ]
        try expectShapes(b, expected, feeds: [])
    }

    /// Declared sizes come from the file: products and sums of them that overflow leave the dim
    /// unknown (inference trapped on each of these).
    @Test func declaredSizesThatOverflowStayUnknown() throws {
        var b = GraphBuilder()
        let big = b.input("big", [1 << 62, 2]), cube = b.input("cube", [1 << 40, 1 << 40, 1 << 40, 4])
        let concat = b.node("Concat", [big, big], ["axis": .int(0)])
        let flatten = b.node("Flatten", [cube])
        let reshape = b.node("Reshape", [cube, b.constant("to", Tensor(scalars: [Int64(-1), 4]))])
        let tile = b.node("Tile", [big, b.constant("repeats", Tensor(scalars: [Int64(4), 1]))])
        b.output(concat, flatten, reshape, tile)
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        func known(_ value: String, _ axis: Int) -> Bool {
            guard let dims = after.graph.declaredType(of: value)?.shape, axis < dims.count, case .value = dims[axis] else { return false }
            return true
        }
        #expect(!known(concat, 0) && !known(flatten, 1) && !known(reshape, 0) && !known(tile, 0))
    }

    /// Range's length as ORT counts it (each checked in ORT): float32 0.1 to 0.3 by 0.1 has 3 values,
    /// since 0.3 - 0.1 is taken in float32; 0 to 1 by 0.3 has 4; int64 10 to 4 by -2 has 3; int32 5 to
    /// 1 by 1 none. A limit known only at run time leaves the length unknown. Each has start's type.
    @Test func rangeCountsItsValuesLikeORT() throws {
        var b = GraphBuilder()
        func range(_ bounds: [Tensor]) -> String {
            b.node("Range", bounds.map { b.constant("bound\(b.graph.initializers.count)", $0) })
        }
        let expected: [Expected] = [
            (range([Float(0.1), 0.3, 0.1].map { Tensor(scalar: $0) }), .float, [.value(3)]),
            (range([Float(0), 1, 0.3].map { Tensor(scalar: $0) }), .float, [.value(4)]),
            (range([Int64(10), 4, -2].map { Tensor(scalar: $0) }), .int64, [.value(3)]),
            (range([Int32(5), 1, 1].map { Tensor(scalar: $0) }), .int32, [.value(0)]),
            (b.node("Range", [b.constant("start", Tensor(scalar: Int64(0))), b.input("limit", [Int](), type: .int64),
                              b.constant("delta", Tensor(scalar: Int64(2)))]), .int64, [.unknown]),
        ]
        try expectShapes(b, expected, feeds: [["limit": Tensor(scalar: Int64(7))]])
    }

    /// Comparisons broadcast to bool, And/Or keep bool, Size is an int64 scalar (mask-building
    /// chains in transformer exports) whose value is known for a static input: y [3, 1] reshaped to
    /// [Size(y)] is [3].
    @Test func comparisonsAndSize() throws {
        var b = GraphBuilder()
        let x = b.input("x", [n, .value(3), .value(4)])
        let y = b.input("y", [3, 1])
        let equal = b.node("Equal", [x, y]), less = b.node("Less", [x, y]), greater = b.node("GreaterOrEqual", [y, x])
        let both = b.node("And", [equal, less]), either = b.node("Or", [both, greater])
        let size = b.node("Size", [x]), fixed = b.node("Size", [y])
        let target = b.node("Unsqueeze", [fixed, b.constant("axes", Tensor(scalars: [Int64(0)]))])
        let flat = b.node("Reshape", [y, target])
        var random = RandomTensors(seed: 3)
        try expectShapes(b, [(equal, .bool, [n, .value(3), .value(4)]), (less, .bool, [n, .value(3), .value(4)]),
                             (greater, .bool, [n, .value(3), .value(4)]), (both, .bool, [n, .value(3), .value(4)]),
                             (either, .bool, [n, .value(3), .value(4)]), (size, .int64, []), (fixed, .int64, []),
                             (target, .int64, [.value(1)]), (flat, .float, [.value(3)])],
                         feeds: [["x": random.normal([2, 3, 4]), "y": random.normal([3, 1])]])
    }

    /// x [N, 2, 3] tiled 1, 3, 2 times gives [N, 6, 6]; 2, 1, 0 times [?, 2, 0] (twice N is no name
    /// of its own); counts known only at run time leave every dim unknown.
    @Test func tileMultipliesEachDim() throws {
        var b = GraphBuilder()
        let x = b.input("x", [n, .value(2), .value(3)])
        let expected: [Expected] = [
            (b.node("Tile", [x, b.constant("r1", Tensor(scalars: [Int64(1), 3, 2]))]), .float, [n, .value(6), .value(6)]),
            (b.node("Tile", [x, b.constant("r2", Tensor(scalars: [Int64(2), 1, 0]))]), .float, [.unknown, .value(2), .value(0)]),
            (b.node("Tile", [x, b.input("r", [3], type: .int64)]), .float, [.unknown, .unknown, .unknown]),
        ]
        var random = RandomTensors(seed: 2)
        try expectShapes(b, expected, feeds: [["x": random.normal([3, 2, 3]), "r": Tensor(scalars: [Int64(2), 2, 1])]])
    }

    /// x [N, 8, 6, 4]: DepthToSpace by 2 gives [N, 2, 12, 8], SpaceToDepth by 2 [N, 32, 3, 2]; a
    /// declared height past Int64 when doubled stays unknown.
    @Test func blockRearrangementsScaleTheirDims() throws {
        var b = GraphBuilder()
        let x = b.input("x", [n, .value(8), .value(6), .value(4)])
        let expected: [Expected] = [
            (b.node("DepthToSpace", [x], ["blocksize": .int(2)]), .float, [n, .value(2), .value(12), .value(8)]),
            (b.node("DepthToSpace", [x], ["blocksize": .int(2), "mode": .string(Array("CRD".utf8))]), .float, [n, .value(2), .value(12), .value(8)]),
            (b.node("SpaceToDepth", [x], ["blocksize": .int(2)]), .float, [n, .value(32), .value(3), .value(2)]),
        ]
        var random = RandomTensors(seed: 4)
        try expectShapes(b, expected, feeds: [["x": random.normal([3, 8, 6, 4])]])
        var huge = GraphBuilder()
        let y = huge.input("y", [.value(1), .value(4), .value(1 << 62), .value(2)])
        let up = huge.node("DepthToSpace", [y], ["blocksize": .int(2)])
        huge.output(up)
        var model = huge.model
        _ = try InferShapes().run(&model, PassContext())
        #expect(model.graph.declaredType(of: up)?.shape?.count == 4 && model.graph.declaredType(of: up)?.shape?[2] == .unknown)
    }

    /// data [N, 6, 5], indices [N, 4, 1] with batch_dims 1: [N, 4, 5]; indices [3, 2] without: [3, 5].
    @Test func gatherNDKeepsIndicesThenTheSliceDims() throws {
        var b = GraphBuilder()
        let data = b.input("data", [n, .value(6), .value(5)])
        let perBatch = b.input("rows", [n, .value(4), .value(1)], type: .int64)
        let expected: [Expected] = [
            (b.node("GatherND", [data, perBatch], ["batch_dims": .int(1)]), .float, [n, .value(4), .value(5)]),
            (b.node("GatherND", [data, b.constant("pairs", Tensor(shape: [3, 2], scalars: [Int64(0), 1, 1, 2, 0, 5]))]), .float, [.value(3), .value(5)]),
        ]
        var random = RandomTensors(seed: 5)
        try expectShapes(b, expected, feeds: [["data": random.normal([2, 6, 5]), "rows": Tensor(shape: [2, 4, 1], scalars: [Int64(0), 1, 2, 5, 3, 3, 0, -1])]])
    }

    /// x [N, 5, 4], top 3 along axis 1 with k an attribute (opset 9) or a constant input (11): float
    /// values and int64 indices, both [N, 3, 4]. A k known only at run time leaves that dim unknown.
    @Test(arguments: [9, 11])
    func topKCutsTheAxisToK(opset: Int) throws {
        var b = GraphBuilder(opset: opset)
        let x = b.input("x", [n, .value(5), .value(4)])
        if opset < 10 {
            b.node("TopK", [x], ["axis": .int(1), "k": .int(3)], outputs: 2, name: "top")
        } else {
            b.node("TopK", [x, b.constant("k", Tensor(scalars: [Int64(3)]))], ["axis": .int(1)], outputs: 2, name: "top")
        }
        var expected: [Expected] = [("top_0", .float, [n, .value(3), .value(4)]), ("top_1", .int64, [n, .value(3), .value(4)])]
        var random = RandomTensors(seed: 3)
        var feeds = ["x": random.normal([2, 5, 4])]
        if opset >= 10 {
            b.node("TopK", [x, b.input("k_run", [1], type: .int64)], outputs: 2, name: "run")
            expected += [("run_0", .float, [n, .value(5), .unknown]), ("run_1", .int64, [n, .value(5), .unknown])]
            feeds["k_run"] = Tensor(scalars: [Int64(2)])
        }
        try expectShapes(b, expected, feeds: [feeds])
    }

    /// x [N, 5, 4]: ArgMax along axis 1 keeps it as 1 (keepdims defaults to 1), ArgMin along axis -1
    /// with keepdims 0 drops it; both give int64.
    @Test func argMaxAndArgMinReduceTheirAxis() throws {
        var b = GraphBuilder()
        let x = b.input("x", [n, .value(5), .value(4)])
        let expected: [Expected] = [
            (b.node("ArgMax", [x], ["axis": .int(1)]), .int64, [n, .value(1), .value(4)]),
            (b.node("ArgMin", [x], ["axis": .int(-1), "keepdims": .int(0)]), .int64, [n, .value(5)]),
        ]
        var random = RandomTensors(seed: 4)
        try expectShapes(b, expected, feeds: [["x": random.normal([3, 5, 4])]])
    }

    /// NonZero: int64 [rank, ?] ([1, ?] for a 0-d X); NonMaxSuppression: int64 [?, 3]. OneHot on
    /// indices [N, 3]: depth 5 at axis 1 gives [N, 5, 3] of values' type, a float depth 3.7 counts as 3,
    /// a depth known only at run time leaves that dim unknown.
    @Test func selectionOpsCountWhatTheDataDecides() throws {
        var b = GraphBuilder(opset: 11)
        let x = b.input("x", [n, .value(3), .value(4)]), scalar = b.input("s", [Dim]())
        let indices = b.input("i", [n, .value(3)], type: .int64), depth = b.input("d", [Dim](), type: .int64)
        let values = b.constant("v", Tensor(scalars: [Int64(0), 1]))
        let boxes = b.input("boxes", [n, .value(5), .value(4)]), scores = b.input("scores", [n, .value(2), .value(5)])
        let limit = b.constant("limit", Tensor(scalars: [Int64(2)]))
        let expected: [Expected] = [
            (b.node("NonZero", [x]), .int64, [.value(3), .unknown]),
            (b.node("NonZero", [scalar]), .int64, [.value(1), .unknown]),
            (b.node("OneHot", [indices, b.constant("five", Tensor(scalar: Int64(5))), values], ["axis": .int(1)]), .int64, [n, .value(5), .value(3)]),
            (b.node("OneHot", [indices, b.constant("float", Tensor(scalar: Float(3.7))), values]), .int64, [n, .value(3), .value(3)]),
            (b.node("OneHot", [indices, depth, values], ["axis": .int(0)]), .int64, [.unknown, n, .value(3)]),
            (b.node("NonMaxSuppression", [boxes, scores, limit]), .int64, [.unknown, .value(3)]),
        ]
        var random = RandomTensors(seed: 6)
        try expectShapes(b, expected, feeds: [[
            "x": random.normal([2, 3, 4]), "s": Tensor(scalar: Float(1)), "i": Tensor(shape: [2, 3], scalars: [Int64(0), 2, -1, 4, 1, 0]),
            "d": Tensor(scalar: Int64(4)), "boxes": random.normal([2, 5, 4]), "scores": random.normal([2, 2, 5]),
        ]])
    }

    /// data [N, 4]: the output has the indices' shape ([2, 3] constant; [N, 2] at run time) and data's type.
    @Test func gatherElementsTakesTheIndicesShape() throws {
        var b = GraphBuilder()
        let data = b.input("data", [n, .value(4)])
        let expected: [Expected] = [
            (b.node("GatherElements", [data, b.constant("i", Tensor(shape: [2, 3], scalars: [Int64(0), 3, -1, 2, 1, 0]))], ["axis": .int(1)]),
             .float, [.value(2), .value(3)]),
            (b.node("GatherElements", [data, b.input("j", [n, .value(2)], type: .int64)], ["axis": .int(1)]), .float, [n, .value(2)]),
        ]
        var random = RandomTensors(seed: 5)
        try expectShapes(b, expected, feeds: [["data": random.normal([3, 4]), "j": Tensor(shape: [3, 2], scalars: [Int64(0), 1, 2, 3, 3, 0])]])
    }

    /// X [T, N, 3] (layout 0): a forward LSTM with hidden_size 4 gives Y [T, 1, N, 4] and Y_h, Y_c
    /// [1, N, 4]; a bidirectional GRU without hidden_size takes 4 from R [2, 12, 4]: Y [T, 2, N, 4],
    /// Y_h [2, N, 4].
    @Test func recurrentOutputsFollowDirectionsAndHiddenSize() throws {
        var b = GraphBuilder()
        let t = Dim.param("T")
        let x = b.input("x", [t, n, .value(3)])
        var r = RandomTensors(seed: 6)
        b.node("LSTM", [x, b.constant("lw", r.normal([1, 16, 3])), b.constant("lr", r.normal([1, 16, 4]))], ["hidden_size": .int(4)],
               outputs: 3, name: "lstm")
        b.node("GRU", [x, b.constant("gw", r.normal([2, 12, 3])), b.constant("gr", r.normal([2, 12, 4]))],
               ["direction": .string(Array("bidirectional".utf8))], outputs: 2, name: "gru")
        let state: [Dim] = [.value(1), n, .value(4)]
        try expectShapes(b, [
            ("lstm_0", .float, [t, .value(1), n, .value(4)]), ("lstm_1", .float, state), ("lstm_2", .float, state),
            ("gru_0", .float, [t, .value(2), n, .value(4)]), ("gru_1", .float, [.value(2), n, .value(4)]),
        ], feeds: [["x": r.normal([5, 2, 3])]])
    }

    /// Layout 1 (batch first): X [N, T, 3] through a bidirectional LSTM with hidden_size 4 gives Y
    /// [N, T, 2, 4] and Y_h, Y_c [N, 2, 4], as `onnx.shape_inference` also infers. Hand-computed only:
    /// the interpreter, like ONNX Runtime, does not run layout 1.
    @Test func recurrentBatchFirstLayout() throws {
        var b = GraphBuilder()
        let t = Dim.param("T")
        let x = b.input("x", [n, t, .value(3)])
        var r = RandomTensors(seed: 7)
        b.node("LSTM", [x, b.constant("w", r.normal([2, 16, 3])), b.constant("r", r.normal([2, 16, 4]))],
               ["hidden_size": .int(4), "layout": .int(1), "direction": .string(Array("bidirectional".utf8))], outputs: 3, name: "lstm")
        let state: [Dim] = [n, .value(2), .value(4)]
        try expectShapes(b, [("lstm_0", .float, [n, t, .value(2), .value(4)]), ("lstm_1", .float, state), ("lstm_2", .float, state)],
                         feeds: [])
    }

    /// If over x [N, 3], run both ways: outputs the branches declare as float [N, 3] and float [N, 6]
    /// give [N, ?]; [N, 3] in both gives [N, 3]; int64 against float, or a branch declaring nothing,
    /// records no shape.
    @Test func ifTakesWhatBothBranchesDeclare() throws {
        var b = GraphBuilder()
        let x = b.input("x", [n, .value(3)])
        let cond = b.input("cond", [Int](), type: .bool)
        /// A branch computing each output by its node, declared as given (nil: without a type).
        func branch(_ name: String, _ outputs: [(node: Node, declared: (DataType, [Dim])?)]) -> AttributeValue {
            .graph(Graph(name: name, nodes: outputs.map(\.node), outputs: outputs.map { node, declared in
                declared.map { ValueInfo(name: node.outputs[0], elementType: $0.0, shape: $0.1) } ?? ValueInfo(name: node.outputs[0])
            }))
        }
        let then = branch("then", [
            (Node(opType: "Relu", inputs: [x], outputs: ["t0"]), (.float, [n, .value(3)])),
            (Node(opType: "Relu", inputs: [x], outputs: ["t1"]), (.float, [n, .value(3)])),
            (Node(opType: "Cast", inputs: [x], outputs: ["t2"], attributes: [Attribute(name: "to", value: .int(7))]), (.int64, [n, .value(3)])),
            (Node(opType: "Relu", inputs: [x], outputs: ["t3"]), nil),
        ])
        let otherwise = branch("else", [
            (Node(opType: "Concat", inputs: [x, x], outputs: ["e0"], attributes: [Attribute(name: "axis", value: .int(1))]), (.float, [n, .value(6)])),
            (Node(opType: "Sigmoid", inputs: [x], outputs: ["e1"]), (.float, [n, .value(3)])),
            (Node(opType: "Neg", inputs: [x], outputs: ["e2"]), (.float, [n, .value(3)])),
            (Node(opType: "Neg", inputs: [x], outputs: ["e3"]), (.float, [n, .value(3)])),
        ])
        b.node("If", [cond], ["then_branch": then, "else_branch": otherwise], outputs: 4, name: "if")
        var random = RandomTensors(seed: 8)
        let x1 = random.normal([2, 3])
        try expectShapes(b, [("if_0", .float, [n, .unknown]), ("if_1", .float, [n, .value(3)]), ("if_2", .float, nil), ("if_3", .float, nil)],
                         feeds: [true, false].map { ["x": x1, "cond": Tensor(shape: [], scalars: [UInt8($0 ? 1 : 0)]).retyped(.bool)] })
    }

    typealias Expected = (value: String, type: DataType, dims: [Dim]?)

    /// Marks the `expected` values as graph outputs, runs infer-shapes and expects each one's recorded
    /// type and dims (nil: no shape recorded); then runs the interpreter on each of `feeds` and expects
    /// it to produce exactly the recorded type and shape for every one with a shape.
    private func expectShapes(_ builder: GraphBuilder, _ expected: [Expected], feeds: [[String: Tensor]],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        var b = builder
        for value in expected { b.output(value.value) }
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        for (value, type, dims) in expected {
            let recorded = after.graph.declaredType(of: value)
            #expect(recorded?.shape == dims, "\(value)", sourceLocation: sourceLocation)
            if dims != nil { #expect(recorded?.elementType == type, "\(value)", sourceLocation: sourceLocation) }
        }
        for feed in feeds {
            let check = try PassChecks.shapeAgreement(after, feeds: feed)
            #expect(check.mismatches == [], sourceLocation: sourceLocation)
            #expect(check.checked == expected.filter { $0.dims != nil }.count, sourceLocation: sourceLocation)
        }
    }
}
