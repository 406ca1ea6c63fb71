import QConvert
import QConvertIR
import Testing

/// Bad inputs to the tensor kernels are one-line errors naming the node, never traps.
@Suite struct TensorOpErrorTests {
    func run(_ op: String, _ inputs: [Tensor], opset: Int = 13, outputs: Int = 1, _ attributes: [Attribute] = []) throws -> [Tensor] {
        try SingleNode.run(op, inputs, opset: opset, outputs: outputs, attributes)
    }

    func expectError(_ fragment: String, _ body: () throws -> [Tensor]) {
        do {
            _ = try body()
            Issue.record("expected an error containing '\(fragment)'")
        } catch let error as QConvertError {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(error.description.contains("node 'n'"), "\(error.description)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    let x = Tensor(shape: [2, 3], scalars: [Float](repeating: 1, count: 6))

    @Test func broadcastMismatch() {
        expectError("cannot be broadcast") { try run("Add", [x, Tensor(scalars: [Float(1), 2])]) }
    }

    @Test func integerDivisionByZero() {
        expectError("division by zero") { try run("Div", [Tensor(scalars: [Int64(4)]), Tensor(scalars: [Int64(0)])]) }
    }

    @Test func modRules() throws {
        expectError("remainder by zero") { try run("Mod", [Tensor(scalars: [Int64(4)]), Tensor(scalars: [Int64(0)])]) }
        expectError("need fmod = 1") { try run("Mod", [x, Tensor(scalar: Float(2))]) }
        // The one quotient that overflows still has a remainder: 0.
        #expect(try run("Mod", [Tensor(scalars: [Int64.min]), Tensor(scalars: [Int64(-1)])])[0].integers() == [0])
    }

    /// A Loop runs at most 2^20 iterations: a larger trip count is refused before any runs (M = 2^62
    /// with a one-Add body hung, found by a black-box run).
    @Test func loopTripCountAboveTheLimit() throws {
        let body = Graph(nodes: [Node(opType: "Identity", inputs: ["cin"], outputs: ["c"]), Node(opType: "Identity", inputs: ["vin"], outputs: ["v"])],
                         inputs: [ValueInfo(name: "i"), ValueInfo(name: "cin"), ValueInfo(name: "vin")],
                         outputs: [ValueInfo(name: "c"), ValueInfo(name: "v")])
        let node = Node(name: "n", opType: "Loop", inputs: ["m", "", "x"], outputs: ["y"], attributes: [Attribute(name: "body", value: .graph(body))])
        let graph = Graph(nodes: [node], inputs: [ValueInfo(name: "m"), ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
        let model = Model(opsetImports: [OpsetImport(domain: "", version: 13)], graph: graph)
        expectError("trip count M = 4611686018427387904 is above 1048576") {
            Array(try Interpreter(model: model).run(["m": Tensor(scalar: Int64(1) << 62), "x": x]).values)
        }
        #expect(try Interpreter(model: model).run(["m": Tensor(scalar: Int64(3)), "x": x])["y"] == x)
    }

    @Test func cumSumAxis() {
        expectError("axis 2 is out of range") { try run("CumSum", [x, Tensor(scalar: Int64(2))], opset: 14) }
        expectError("axis must hold one integer") { try run("CumSum", [x, Tensor(scalars: [Int64(0), 1])], opset: 14) }
    }

    @Test func blockRearrangementRules() {
        let image = Tensor(shape: [1, 8, 2, 3], scalars: [Float](repeating: 1, count: 48))
        expectError("blocksize must be 1 to 4096, got 1099511627776") {
            try run("DepthToSpace", [image], [Attribute(name: "blocksize", value: .int(1 << 40))])
        }
        expectError("not a multiple of blocksize² = 9") { try run("DepthToSpace", [image], [Attribute(name: "blocksize", value: .int(3))]) }
        expectError("multiples of blocksize 2") { try run("SpaceToDepth", [image], [Attribute(name: "blocksize", value: .int(2))]) }
        expectError("must be 4-D") { try run("SpaceToDepth", [x], [Attribute(name: "blocksize", value: .int(1))]) }
    }

    @Test func gatherNDRules() {
        expectError("index 2 is out of range for axis 0 of size 2") { try run("GatherND", [x, Tensor(shape: [1, 1], scalars: [Int64(2)])]) }
        expectError("do not fit data of shape [2, 3]") { try run("GatherND", [x, Tensor(shape: [1, 3], scalars: [Int64(0), 0, 0])]) }
    }

    @Test func scatterElementsRules() {
        let one = Tensor(shape: [1, 1], scalars: [Float(5)])
        expectError("index 3 is out of range for axis 1 of size 3") {
            try run("ScatterElements", [x, Tensor(shape: [1, 1], scalars: [Int64(3)]), one], opset: 18, [Attribute(name: "axis", value: .int(1))])
        }
        expectError("must have one shape") { try run("ScatterElements", [x, Tensor(shape: [1, 1], scalars: [Int64(0)]), x], opset: 18) }
        expectError("reduction must be") {
            try run("ScatterElements", [x, Tensor(shape: [1, 1], scalars: [Int64(0)]), one], opset: 18, [Attribute(name: "reduction", value: .string(Array("avg".utf8)))])
        }
    }

    @Test func groupNormalizationRules() {
        let image = Tensor(shape: [1, 6, 2], scalars: [Float](repeating: 1, count: 12)), two = Tensor(scalars: [Float(1), 1])
        expectError("num_groups 4 does not divide the 6 channels") {
            try run("GroupNormalization", [image, two, two], opset: 18, [Attribute(name: "num_groups", value: .int(4))])
        }
        expectError("must both be [6] (one per channel)") {
            try run("GroupNormalization", [image, two, two], opset: 21, [Attribute(name: "num_groups", value: .int(2))])
        }
    }

    @Test func scatterNDRules() {
        let rows = Tensor(shape: [1, 1], scalars: [Int64(2)]), update = Tensor(shape: [1, 3], scalars: [Float](repeating: 0, count: 3))
        expectError("out of range for axis 0 of size 2") { try run("ScatterND", [x, rows, update], opset: 18) }
        expectError("updates must be float32 of shape [1, 3]") { try run("ScatterND", [x, Tensor(shape: [1, 1], scalars: [Int64(0)]), x], opset: 18) }
        expectError("tuple length at most") { try run("ScatterND", [x, Tensor(shape: [1, 3], scalars: [Int64(0), 0, 0]), x], opset: 18) }
        expectError("reduction must be") { try run("ScatterND", [x, rows, update], opset: 18, [Attribute(name: "reduction", value: .string(Array("avg".utf8)))]) }
    }

    @Test func reshapeRules() {
        expectError("more than one -1") { try run("Reshape", [x, Tensor(scalars: [Int64(-1), -1])]) }
        expectError("cannot reshape") { try run("Reshape", [x, Tensor(scalars: [Int64(4), 2])]) }
        expectError("negative") { try run("Reshape", [x, Tensor(scalars: [Int64(-2), 3])]) }
        expectError("copies dim") { try run("Reshape", [x, Tensor(scalars: [Int64(6), 0, 0])]) }
    }

    @Test func gatherIndexOutOfRange() {
        expectError("out of range") { try run("Gather", [x, Tensor(scalars: [Int64(2)])]) }
        expectError("out of range") { try run("GatherElements", [x, Tensor(shape: [1, 1], scalars: [Int64(-3)])]) }
    }

    @Test func badAxes() {
        expectError("axis 2 is out of range") { try run("Softmax", [x], [Attribute(name: "axis", value: .int(2))]) }
        expectError("repeated") { try run("ReduceSum", [x, Tensor(scalars: [Int64(1), -1])]) }
        expectError("not 1") { try run("Squeeze", [x, Tensor(scalars: [Int64(0)])]) }
        expectError("not a permutation") { try run("Transpose", [x], [Attribute(name: "perm", value: .ints([0, 0]))]) }
        expectError("cannot join") { try run("Concat", [x, Tensor(shape: [2, 2], scalars: [Float](repeating: 0, count: 4))], [Attribute(name: "axis", value: .int(0))]) }
    }

    @Test func badShapesAndSizes() {
        expectError("negative") { try run("ConstantOfShape", [Tensor(scalars: [Int64(2), -1])]) }
        expectError("too many elements") { try run("ConstantOfShape", [Tensor(scalars: [Int64(1) << 40, 1 << 40])]) }
        expectError("too many elements") { try run("Expand", [x, Tensor(scalars: [Int64(1) << 20, 1 << 20, 3])]) }
        expectError("elements") { try run("Range", [Tensor(scalar: Float(0)), Tensor(scalar: Float(1e30)), Tensor(scalar: Float(1))]) }
        expectError("adding up to 3") { try run("Split", [x, Tensor(scalars: [Int64(1), 1])], outputs: 2, [Attribute(name: "axis", value: .int(1))]) }
        expectError("steps must not be 0") { try run("Slice", [x, Tensor(scalars: [Int64(0)]), Tensor(scalars: [Int64(1)]), Tensor(scalars: [Int64(0)]), Tensor(scalars: [Int64(0)])]) }
        expectError("delta must not be 0") { try run("Range", [Tensor(scalar: Float(0)), Tensor(scalar: Float(1)), Tensor(scalar: Float(0))]) }
        expectError("repeats") { try run("Tile", [x, Tensor(scalars: [Int64(2)])]) }
    }

    /// Pad, Resize and Upsample allocated whatever their pads, scales or sizes asked for: the process
    /// aborted (2^40 pads, scales of 1e5) or filled gigabytes for minutes (scales of 1e9). Their
    /// outputs now pass `ShapeCount` first; pads past Int overflowed.
    @Test func paddedAndResizedShapesAreChecked() throws {
        let row = Tensor(shape: [1, 4], scalars: [Float](repeating: 1, count: 4))
        expectError("shape [1, 1099511627780] has too many elements") { try run("Pad", [row, Tensor(scalars: [Int64(0), 1 << 40, 0, 0])]) }
        expectError("overflow axis 1") { try run("Pad", [row, Tensor(scalars: [Int64(0), .max, 0, .max])]) }
        // An empty output builds no per-axis source map or tap table, however long its other axes.
        let empty = Tensor(shape: [0, 4], scalars: [Float]())
        #expect(try run("Pad", [empty, Tensor(scalars: [Int64(0), (1 << 31) - 4, 0, 0])])[0].shape == [0, 1 << 31])
        let image = Tensor(shape: [1, 1, 4, 4], scalars: [Float](repeating: 1, count: 16))
        let none = Tensor(scalars: [Float]())
        expectError("too many elements") { try run("Resize", [image, none, Tensor(scalars: [Float(1), 1, 1e9, 1e9])]) }
        expectError("too many elements") { try run("Resize", [image, none, none, Tensor(scalars: [Int64(1), 1, 1 << 30, 1 << 30])]) }
        expectError("too many elements") { try run("Upsample", [image, Tensor(scalars: [Float(1), 1, 1e5, 1e5])], opset: 9) }
        // The message gives the shape and repeats asked for, not Tile's internal interleaved view.
        expectError("tiling shape [1, 4] by [1000000000, 1000000000] is too large: its non-zero dimensions multiply past 2147483648") {
            try run("Tile", [row, Tensor(scalars: [Int64(1_000_000_000), 1_000_000_000])])
        }
        let noImages = Tensor(shape: [0, 1, 4, 4], scalars: [Float]())
        #expect(try run("Resize", [noImages, none, Tensor(scalars: [Float(1), 1, 1, 0x1p27])])[0].shape == [0, 1, 4, 1 << 29])
        for scale in [Float.nan, -2, 0] {
            expectError("must be positive") { try run("Resize", [image, none, Tensor(scalars: [Float(1), 1, scale, 2])]) }
            expectError("must be positive") { try run("Upsample", [image, Tensor(scalars: [Float(1), 1, scale, 2])], opset: 9) }
        }
    }

    /// RoiAlign checks shapes and batch indices, and a region whose size would set billions of
    /// samples (coordinates of 1e30 with the adaptive sampling ratio) is an error, not a hang.
    @Test func roiAlignRules() throws {
        let image = Tensor(shape: [1, 2, 4, 4], scalars: [Float](repeating: 1, count: 32))
        let roi = Tensor(shape: [1, 4], scalars: [Float(0), 0, 2, 2]), batch = Tensor(scalars: [Int64(0)])
        let pooled = [Attribute(name: "output_height", value: .int(64)), Attribute(name: "output_width", value: .int(64))]
        expectError("rois must be [num_rois, 4]") { try run("RoiAlign", [image, Tensor(shape: [4], scalars: [Float(0), 0, 2, 2]), batch], opset: 16) }
        expectError("batch_indices must be in 0..<1") { try run("RoiAlign", [image, roi, Tensor(scalars: [Int64(1)])], opset: 16) }
        expectError("one integer per roi") { try run("RoiAlign", [image, roi, Tensor(scalars: [Int64(0), 0])], opset: 16) }
        expectError("mode 'min'") { try run("RoiAlign", [image, roi, batch], opset: 16, [Attribute(name: "mode", value: .string(Array("min".utf8)))]) }
        let huge = Tensor(shape: [1, 4], scalars: [Float(-1e30), -1e30, 1e30, 1e30])
        expectError("bilinear samples, more than") { try run("RoiAlign", [image, huge, batch], opset: 16, pooled) }
        let nan = Tensor(shape: [1, 4], scalars: [Float.nan, 0, 2, 2])
        #expect(try run("RoiAlign", [image, nan, batch], opset: 16)[0].floats() == [0, 0])
        #expect(try run("RoiAlign", [image, roi, batch], opset: 16)[0].floats() == [1, 1])
    }

    /// NonMaxSuppression's shapes and thresholds are checked before any box is read; empty shapes that
    /// claim 2^40 classes return at once rather than walking them.
    @Test func nonMaxSuppressionRules() throws {
        let boxes = Tensor(shape: [1, 2, 4], scalars: [Float](repeating: 1, count: 8))
        let scores = Tensor(shape: [1, 1, 2], scalars: [Float(0.5), 0.4])
        let limit = Tensor(scalars: [Int64(2)])
        expectError("boxes must be [batches, boxes, 4], got [2, 4]") { try run("NonMaxSuppression", [Tensor(shape: [2, 4], scalars: [Float](repeating: 1, count: 8)), scores], opset: 11) }
        expectError("boxes must be [batches, boxes, 4], got [1, 2, 3]") { try run("NonMaxSuppression", [Tensor(shape: [1, 2, 3], scalars: [Float](repeating: 1, count: 6)), scores], opset: 11) }
        expectError("scores must be [1, classes, 2]") { try run("NonMaxSuppression", [boxes, Tensor(shape: [1, 2], scalars: [Float(1), 1])], opset: 11) }
        expectError("scores must be [1, classes, 2]") { try run("NonMaxSuppression", [boxes, Tensor(shape: [2, 1, 2], scalars: [Float](repeating: 1, count: 4))], opset: 11) }
        expectError("boxes must be float32") { try run("NonMaxSuppression", [Tensor(shape: [1, 2, 4], scalars: [Int64](repeating: 1, count: 8)), scores], opset: 11) }
        for bad in [Float(1.5), -0.1, .nan] {
            expectError("iou_threshold must be in [0, 1]") { try run("NonMaxSuppression", [boxes, scores, limit, Tensor(scalars: [bad])], opset: 11) }
        }
        expectError("max_output_boxes_per_class must have one element") { try run("NonMaxSuppression", [boxes, scores, Tensor(scalars: [Int64(1), 2])], opset: 11) }
        expectError("score_threshold must be one float32") {
            try run("NonMaxSuppression", [boxes, scores, limit, Tensor(scalars: [Float(0.5)]), Tensor(scalars: [Int64(0)])], opset: 11)
        }
        expectError("center_point_box must be 0 or 1, got 2") { try run("NonMaxSuppression", [boxes, scores], opset: 11, [Attribute(name: "center_point_box", value: .int(2))]) }
        let none = try run("NonMaxSuppression", [Tensor(shape: [1, 0, 4], scalars: [Float]()), Tensor(shape: [1, 1 << 40, 0], scalars: [Float]()), limit], opset: 11)
        #expect(none[0].shape == [0, 3])
    }

    /// OneHot's depth sizes the output: non-positive, NaN and huge depths are one-line errors, never an
    /// allocation (2^40 rows would abort the process).
    @Test func oneHotRules() {
        let indices = Tensor(scalars: [Int64(0), 2]), values = Tensor(scalars: [Float(0), 1])
        func oneHot(_ inputs: [Tensor], axis: Int = -1) throws -> [Tensor] {
            try run("OneHot", inputs, opset: 11, [Attribute(name: "axis", value: .int(Int64(axis)))])
        }
        for depth in [Tensor(scalar: Int64(0)), Tensor(scalar: Int64(-3)), Tensor(scalar: Float.nan), Tensor(scalar: Float(0.9)), Tensor(scalar: Float(-1e30)), Tensor(scalar: Float(1e30))] {
            expectError("depth must be a positive int64 once truncated") { try oneHot([indices, depth, values]) }
        }
        expectError("too many elements") { try oneHot([indices, Tensor(scalar: Int64(1) << 40), values]) }
        expectError("too many elements") { try oneHot([indices, Tensor(scalar: Float(1e12)), values]) }
        expectError("too many elements") { try oneHot([Tensor(shape: [0], scalars: [Int64]()), Tensor(scalar: Int64(1) << 40), values]) }
        expectError("depth must have one element") { try oneHot([indices, Tensor(scalars: [Int64(2), 3]), values]) }
        expectError("values must be [off, on], got shape [3]") { try oneHot([indices, Tensor(scalar: Int64(3)), Tensor(scalars: [Float(0), 1, 2])]) }
        expectError("axis 2 is out of range for rank 2") { try oneHot([indices, Tensor(scalar: Int64(3)), values], axis: 2) }
        expectError("indices must have rank 1 or more") { try oneHot([Tensor(scalar: Int64(1)), Tensor(scalar: Int64(3)), values]) }
        expectError("indices must be numeric, got bool") { try oneHot([Tensor(scalars: [UInt8(1)]).retyped(.bool), Tensor(scalar: Int64(3)), values]) }
    }

    @Test func typeErrors() {
        expectError("float32") { try run("Sigmoid", [Tensor(scalars: [Int64(1)])]) }
        expectError("bool") { try run("Where", [x, x, x]) }
        expectError("expects a bool input") { try run("Not", [x]) }
        expectError("string input is not supported") { try run("NonZero", [Tensor(shape: [1], strings: [Array("a".utf8)])]) }
    }

    /// Einsum equations ONNX Runtime and numpy refuse, and the diagonal qconvert does not compute.
    @Test func einsumEquations() {
        func einsum(_ equation: String, _ inputs: [Tensor]) throws -> [Tensor] {
            try run("Einsum", inputs, opset: 12, [Attribute(name: "equation", value: .string(Array(equation.utf8)))])
        }
        let cube = Tensor(shape: [2, 2, 3], scalars: [Float](repeating: 1, count: 12))
        expectError("no '...' in its output") { try einsum("...ij->ij", [cube]) }
        expectError("a diagonal") { try einsum("ii->i", [Tensor(shape: [2, 2], scalars: [Float](repeating: 1, count: 4))]) }
        expectError("has 2 operands, the node 1 inputs") { try einsum("ij,jk->ik", [x]) }
        expectError("does not match an input of rank 2") { try einsum("ijk->i", [x]) }
        expectError("subscript 'j' has sizes 3 and 2") { try einsum("ij,jk->ik", [x, x]) }
        expectError("output subscript 'z'") { try einsum("ij->z", [x]) }
    }
}

/// TopK compares in the element type: int64 beyond 2^53 keeps its low bits, and NaN ranks as the
/// largest value, as in ONNX Runtime (found by review: values went through Double).
@Suite struct TopKTests {
    @Test func int64BeyondDoublePrecision() throws {
        let big: [Int64] = [(1 << 53) + 1, 1 << 53, (1 << 60) + 3]
        let result = try SingleNode.run("TopK", [Tensor(shape: [3], scalars: big), Tensor(shape: [1], scalars: [Int64(3)])], outputs: 2)
        #expect(result[0].scalars(of: Int64.self) == [(1 << 60) + 3, (1 << 53) + 1, 1 << 53])
        #expect(result[1].scalars(of: Int64.self) == [2, 0, 1])
    }

    @Test func nanRanksLargest() throws {
        let x = Tensor(shape: [4], scalars: [Float](arrayLiteral: 1, .nan, 3, 3))
        let largest = try SingleNode.run("TopK", [x, Tensor(shape: [1], scalars: [Int64(4)])], outputs: 2)
        #expect(largest[1].scalars(of: Int64.self) == [1, 2, 3, 0])
        let smallest = try SingleNode.run("TopK", [x, Tensor(shape: [1], scalars: [Int64(4)])], outputs: 2,
                                          [Attribute(name: "largest", value: .int(0))])
        #expect(smallest[1].scalars(of: Int64.self) == [0, 2, 3, 1])
    }
}

/// Split-18's num_outputs: parts of ceil(dim / n), the last smaller and possibly empty: 6 into 4 is
/// [2, 2, 2, 0], as ONNX Runtime gives (it was refused; found by differential testing).
@Suite struct SplitNumOutputsTests {
    @Test func lastPartMayBeEmpty() throws {
        let x = Tensor(shape: [6], scalars: (0..<6).map(Float.init))
        let parts = try SingleNode.run("Split", [x], opset: 18, outputs: 4, [Attribute(name: "num_outputs", value: .int(4))])
        #expect(parts.map(\.shape) == [[2], [2], [2], [0]])
        #expect(parts[2].scalars(of: Float.self) == [4, 5])
        // 5 into 4 parts of 2 would need a negative last part: refused, as ONNX Runtime refuses it.
        let five = Tensor(shape: [5], scalars: (0..<5).map(Float.init))
        #expect(throws: QConvertError.self) {
            try SingleNode.run("Split", [five], opset: 18, outputs: 4, [Attribute(name: "num_outputs", value: .int(4))])
        }
    }
}

/// What ONNX Runtime cannot run and so no op case checks: NonZero on float64 and float16 (-0.0 is zero,
/// NaN is not), OneHot with string and bool values, NonMaxSuppression's NaN scores (after every number).
@Suite struct SelectionOpTests {
    @Test func nonZeroFloatTypes() throws {
        let doubles = Tensor(shape: [2, 2], scalars: [Double(0), -0.0, .nan, 2])
        #expect(try SingleNode.run("NonZero", [doubles])[0] == Tensor(shape: [2, 2], scalars: [Int64(1), 1, 0, 1]))
        let halves = Tensor(scalars: [Float(0), -0.0, 0.5, -1].map(Float16Bits.fromFloat)).retyped(.float16)
        #expect(try SingleNode.run("NonZero", [halves])[0] == Tensor(shape: [1, 2], scalars: [Int64(2), 3]))
    }

    @Test func oneHotStringAndBoolValues() throws {
        let indices = Tensor(scalars: [Int64(1), -1, 5]), depth = Tensor(scalar: Int64(3))
        let strings = try SingleNode.run("OneHot", [indices, depth, Tensor(shape: [2], strings: [Array("off".utf8), Array("on".utf8)])], opset: 11)[0]
        #expect(strings.shape == [3, 3])
        #expect(strings.storage.strings.map { String(decoding: $0, as: UTF8.self) } == ["off", "on", "off", "off", "off", "on", "off", "off", "off"])
        let bools = try SingleNode.run("OneHot", [indices, depth, Tensor(scalars: [UInt8(0), 1]).retyped(.bool)], opset: 11)[0]
        #expect(bools.dataType == .bool)
        #expect(bools.scalars(of: UInt8.self) == [0, 1, 0, 0, 0, 1, 0, 0, 0])
    }

    @Test func nonMaxSuppressionNaNScoresRankLast() throws {
        let boxes = Tensor(shape: [1, 4, 4], scalars: [Float(0), 0, 1, 1, 0, 2, 1, 3, 0, 4, 1, 5, 0, 6, 1, 7])  // apart
        let scores = Tensor(shape: [1, 1, 4], scalars: [Float.nan, 0.5, .nan, 0.9])
        let kept = try SingleNode.run("NonMaxSuppression", [boxes, scores, Tensor(scalars: [Int64(4)])], opset: 11)[0]
        #expect(kept.scalars(of: Int64.self) == [0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 2])
    }
}
