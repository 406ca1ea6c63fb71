import QConvert
import QConvertIR
import Testing

/// Bad inputs to the compute-heavy kernels (Conv, ConvTranspose, Gemm, MatMul, pools, Resize, Pad,
/// BatchNormalization, LSTM, GRU) are one-line errors naming what is wrong, never traps; zero-size
/// tensors run.
@Suite struct NNKernelErrorTests {
    /// Runs one `op` node on `inputs` (all fed at run time, undeclared types) and returns its outputs.
    func run(_ op: String, _ inputs: [Tensor?], attributes: [String: AttributeValue] = [:], outputs: Int = 1, opset: Int64 = 13) throws -> [Tensor] {
        let names = inputs.indices.map { inputs[$0] == nil ? "" : "in\($0)" }
        let node = Node(opType: op, inputs: names, outputs: (0..<outputs).map { "out\($0)" },
                        attributes: attributes.map { Attribute(name: $0.key, value: $0.value) })
        let graph = Graph(nodes: [node], inputs: names.filter { !$0.isEmpty }.map { ValueInfo(name: $0) },
                          outputs: node.outputs.map { ValueInfo(name: $0) })
        let model = Model(opsetImports: [OpsetImport(domain: "", version: opset)], graph: graph)
        var feeds: [String: Tensor] = [:]
        for (name, tensor) in zip(names, inputs) where !name.isEmpty { feeds[name] = tensor }
        let result = try Interpreter(model: model, threads: 2).run(feeds)
        return node.outputs.map { result[$0]! }
    }

    func floats(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { Float($0 % 7) - 3 })
    }

    func expectError(_ fragment: String, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error mentioning '\(fragment)'")
        } catch let error as QConvertError {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func convRejectsMismatchedShapesAndTypes() {
        expectError("channels") { _ = try run("Conv", [floats([1, 3, 5, 5]), floats([2, 4, 3, 3])]) }
        expectError("smaller than the window") { _ = try run("Conv", [floats([1, 1, 2, 2]), floats([1, 1, 3, 3])]) }
        expectError("bias B") { _ = try run("Conv", [floats([1, 1, 4, 4]), floats([2, 1, 3, 3]), floats([3])]) }
        expectError("float32") { _ = try run("Conv", [Tensor(shape: [1, 1, 3, 3], scalars: [Int64](repeating: 1, count: 9)), floats([1, 1, 1, 1])]) }
        expectError("rank") { _ = try run("Conv", [floats([3, 3]), floats([1, 1])]) }
        expectError("groups") { _ = try run("Conv", [floats([1, 4, 3, 3]), floats([3, 2, 1, 1])], attributes: ["group": .int(2)]) }
        expectError("spatial dimensions") { _ = try run("Conv", [floats([1, 1, 2, 2, 2, 2]), floats([1, 1, 1, 1, 1, 1])]) }
    }

    @Test func convTransposeAndMatrixOpsRejectMismatches() {
        expectError("channels") { _ = try run("ConvTranspose", [floats([1, 3, 4, 4]), floats([2, 2, 3, 3])]) }
        expectError("not positive") {
            _ = try run("ConvTranspose", [floats([1, 1, 2, 2]), floats([1, 1, 2, 2])], attributes: ["pads": .ints([2, 2, 2, 2])])
        }
        expectError("do not multiply") { _ = try run("MatMul", [floats([2, 3]), floats([4, 2])]) }
        expectError("do not broadcast") { _ = try run("MatMul", [floats([2, 2, 3]), floats([3, 3, 2])]) }
        expectError("scalars") { _ = try run("MatMul", [Tensor(scalar: Float(1)), floats([2])]) }
        expectError("matrices") { _ = try run("Gemm", [floats([2, 3, 1]), floats([3, 2])]) }
        expectError("does not broadcast") { _ = try run("Gemm", [floats([2, 3]), floats([3, 2]), floats([3])]) }
    }

    @Test func normalisationPoolingResizeAndPadRejectBadInputs() {
        let parameters = [floats([2]), floats([2]), floats([2]), floats([2])]
        expectError("must have shape") { _ = try run("BatchNormalization", [floats([1, 3, 2])] + parameters) }
        expectError("training") { _ = try run("BatchNormalization", [floats([1, 2, 2])] + parameters, outputs: 3, opset: 9) }
        expectError("kernel_shape") { _ = try run("MaxPool", [floats([1, 1, 4])], attributes: ["kernel_shape": .ints([2, 2])]) }
        expectError("missing required attribute") { _ = try run("AveragePool", [floats([1, 1, 4, 4])]) }
        expectError("positive") { _ = try run("Resize", [floats([1, 1, 2, 2]), nil, Tensor(scalars: [Float(1), 1, 0, 2])]) }
        expectError("scales or sizes") { _ = try run("Resize", [floats([1, 1, 2, 2])]) }
        expectError("cannot resize") {
            _ = try run("Resize", [floats([1, 0, 2]), nil, nil, Tensor(scalars: [Int64(1), 2, 2])])
        }
        expectError("empty axis") { _ = try run("Pad", [floats([0, 2]), Tensor(scalars: [Int64(1), 0, 1, 0])], attributes: ["mode": .string(Array("edge".utf8))]) }
        expectError("below zero") { _ = try run("Pad", [floats([2, 2]), Tensor(scalars: [Int64(-3), 0, 0, 0])]) }
        expectError("4 values") { _ = try run("Pad", [floats([2, 2]), Tensor(scalars: [Int64(1), 1])]) }
    }

    @Test func recurrentOpsRejectBadShapes() {
        expectError("W must have shape") { _ = try run("LSTM", [floats([2, 1, 3]), floats([1, 8, 2]), floats([1, 8, 2])]) }
        expectError("sequence_lens") {
            _ = try run("GRU", [floats([2, 1, 3]), floats([1, 6, 3]), floats([1, 6, 2]), nil, Tensor(scalars: [Int32(5)])])
        }
        expectError("hidden size") { _ = try run("GRU", [floats([2, 1, 3]), floats([1, 0, 3]), floats([1, 0, 0])]) }
    }

    @Test func zeroSizeTensorsRun() throws {
        #expect(try run("Conv", [floats([0, 2, 4, 4]), floats([3, 2, 3, 3])])[0].shape == [0, 3, 2, 2])
        #expect(try run("MatMul", [floats([0, 3]), floats([3, 4])])[0].shape == [0, 4])
        #expect(try run("MatMul", [floats([2, 0]), floats([0, 4])])[0].scalars(of: Float.self) == Array(repeating: 0, count: 8))
        #expect(try run("MaxPool", [floats([0, 2, 4, 4])], attributes: ["kernel_shape": .ints([2, 2])])[0].shape == [0, 2, 3, 3])
        #expect(try run("LSTM", [floats([0, 1, 3]), floats([1, 8, 3]), floats([1, 8, 2])], outputs: 3)[0].shape == [0, 1, 1, 2])
    }

    /// GridSample on hostile positions (NaN, infinities, 1e30) in every mode and padding: no trap, a
    /// finite value, 0 where zeros padding puts every tap outside; a 3-D grid is a clear error.
    @Test func gridSampleSurvivesHostileGrids() throws {
        let image = floats([1, 2, 3, 4])
        let grid = Tensor(shape: [1, 1, 4, 2], scalars: [Float.nan, 0, .infinity, -.infinity, 1e30, -1e30, 0.5, .nan])
        for mode in ["nearest", "linear", "cubic"] {
            for padding in ["zeros", "border", "reflection"] {
                let y = try run("GridSample", [image, grid], attributes: ["mode": .string(Array(mode.utf8)), "padding_mode": .string(Array(padding.utf8))],
                                opset: 20)[0]
                let values = y.scalars(of: Float.self)
                #expect(y.shape == [1, 2, 1, 4] && values.allSatisfy(\.isFinite), "\(mode) \(padding): \(values)")
                if padding == "zeros" { #expect(values[1] == 0 && values[2] == 0, "\(mode): \(values)") }
            }
        }
        expectError("supports 2-D sampling") { _ = try run("GridSample", [floats([1, 1, 2, 2, 2]), floats([1, 1, 1, 1, 3])], opset: 20) }
        // An image with no pixels cannot be sampled (border padding read before its first pixel).
        expectError("has no pixels to sample") {
            _ = try run("GridSample", [floats([1, 1, 0, 3]), floats([1, 2, 2, 2])], attributes: ["padding_mode": .string(Array("border".utf8))], opset: 20)
        }
    }
}
