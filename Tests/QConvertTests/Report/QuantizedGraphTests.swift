import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// Finding the quantized nodes of a model from its structure, with ONNX Runtime's names (QDQ and
/// QOperator): which nodes count, which float value each one's output stands for, and where to read it.
@Suite struct QuantizedGraphTests {
    /// float: x -> Conv(W) -> y -> Relu -> r -> Add(r, x2) -> out (a graph output), with a float
    /// GlobalAveragePool reading r too.
    static func floatModel() -> Model {
        var b = GraphBuilder()
        func rename(_ output: String) { b.graph.nodes[b.graph.nodes.count - 1].outputs = [output] }
        b.input("x", [1, 2, 4, 4])
        b.constant("W", Tensor(shape: [2, 2, 1, 1], scalars: [Float(0.5), -0.25, 0.75, 1]))
        b.node("Conv", ["x", "W"], name: "conv"); rename("y")
        b.node("Relu", ["y"], name: "relu"); rename("r")
        b.node("Add", ["r", "x"], name: "add"); rename("out")
        b.node("GlobalAveragePool", ["r"], name: "gap")
        b.output("out", "gap")
        return b.model
    }

    /// The same quantized the way ONNX Runtime names things: Conv+Relu with one output pair, Add
    /// quantized, its output (a graph output) renamed `out_QuantizeLinear_Input`, the pool float.
    static func ortQDQ() -> Model {
        var b = GraphBuilder()
        let x = b.input("x", [1, 2, 4, 4])
        b.constant("s", Tensor(scalar: Float(0.05)))
        b.constant("z", Tensor(scalar: UInt8(10)))
        b.constant("W_quantized", Tensor(shape: [2, 2, 1, 1], scalars: [Int8(64), -32, 96, 127]))
        b.constant("W_scale", Tensor(shape: [2], scalars: [Float(0.5 / 64), Float(1.0 / 127)]))
        b.constant("W_zero_point", Tensor(shape: [2], scalars: [Int8(0), 0]))
        func rename(_ output: String) { b.graph.nodes[b.graph.nodes.count - 1].outputs = [output] }
        b.node("QuantizeLinear", [x, "s", "z"], name: "x_QuantizeLinear"); rename("x_QuantizeLinear_Output")
        b.node("DequantizeLinear", ["x_QuantizeLinear_Output", "s", "z"], name: "x_DequantizeLinear"); rename("x_DequantizeLinear_Output")
        b.node("DequantizeLinear", ["W_quantized", "W_scale", "W_zero_point"], ["axis": .int(0)], name: "W_DequantizeLinear")
        rename("W_DequantizeLinear_Output")
        b.node("Conv", ["x_DequantizeLinear_Output", "W_DequantizeLinear_Output"], name: "conv"); rename("y")
        b.node("Relu", ["y"], name: "relu"); rename("r")
        b.node("QuantizeLinear", ["r", "s", "z"], name: "r_QuantizeLinear"); rename("r_QuantizeLinear_Output")
        b.node("DequantizeLinear", ["r_QuantizeLinear_Output", "s", "z"], name: "r_DequantizeLinear"); rename("r_DequantizeLinear_Output")
        b.node("Add", ["r_DequantizeLinear_Output", "x_DequantizeLinear_Output"], name: "add"); rename("out_QuantizeLinear_Input")
        b.node("QuantizeLinear", ["out_QuantizeLinear_Input", "s", "z"], name: "out_QuantizeLinear"); rename("out_QuantizeLinear_Output")
        b.node("DequantizeLinear", ["out_QuantizeLinear_Output", "s", "z"], name: "out_DequantizeLinear"); rename("out")
        b.node("GlobalAveragePool", ["r_DequantizeLinear_Output"], name: "gap"); rename("gap")
        b.output("out", "gap")
        return b.model
    }

    @Test func ortQDQNamesAreMatched() throws {
        let graph = QuantizedGraph(quantized: Self.ortQDQ().graph, float: Self.floatModel().graph)
        // The float pool reads a dequantized value but is not quantized; the fused Relu is the Conv's.
        #expect(graph.units.map(\.node) == ["conv", "add"])
        let conv = graph.units[0], add = graph.units[1]
        #expect(conv.value == "r" && conv.readAt == "r_DequantizeLinear_Output" && conv.quantizeInput == "r")
        #expect(conv.inputs.map(\.source) == ["x"] && conv.weights.map(\.source) == ["W"] && conv.weights.first?.axis == 0)
        // A graph output keeps its name on the dequantized value; the float model's is `out`.
        #expect(add.value == "out" && add.readAt == "out" && add.quantizeInput == "out_QuantizeLinear_Input")
        #expect(add.inputs.compactMap(\.source) == ["r", "x"] && add.weights.isEmpty)
    }

    /// The Conv reads only the model input's quantizer (no unit's); the Add reads the Conv's output.
    @Test func upstreamUnitsAreFoundThroughTheUnitsNodes() throws {
        let model = Self.ortQDQ()
        let graph = QuantizedGraph(quantized: model.graph, float: Self.floatModel().graph)
        #expect(graph.units.map(\.node) == ["conv", "add"])
        #expect(try graph.upstreamUnits(in: model.graph) == [[], [0]])
    }

    @Test func reportOnTheOrtStyleModelMeasuresEveryUnit() throws {
        let dir = TemporaryDirectories()
        let folder = dir.make()
        var random = RandomTensors(seed: 7)
        for k in 0..<3 { try Npy.write(random.uniform([1, 2, 4, 4], -1...2), to: folder + "/\(k).npy") }
        let float = Self.floatModel(), quantized = Self.ortQDQ()
        let samples = try CalibrationDataset(directory: folder, inputs: float.graph.runtimeInputs)
        let report = try LayerReportBuilder.build(.init(float: float, quantized: quantized, samples: samples, localSamples: 3, threads: 1))
        #expect(report.rows.map(\.node) == ["conv", "add"])
        for row in report.rows {
            let accumulated = try #require(row.accumulated), local = try #require(row.local)
            // Inputs quantized on a 0.05 grid: errors of a few percent at most, never none.
            #expect(accumulated.sqnr > 15 && accumulated.sqnr < 80 && local.sqnr > 15)
            #expect(row.saturationPercent != nil && row.scale == 0.05 && row.zeroPoint == 10)
        }
        // The Conv is the first unit: its local error is its accumulated error.
        #expect(abs(report.rows[0].local!.sqnr - report.rows[0].accumulated!.sqnr) < 1e-9)
        // Channel 0's codes dequantize to W exactly (64 and -32 times 0.5/64); channel 1's do not
        // (96/127 is not 0.75): a finite weight SQNR, worst channel 1.
        #expect(report.rows[0].weightSQNR.map { $0.isFinite && $0 > 30 } == true && report.rows[0].worstChannel == 1)
    }

    /// An LSTM stores two weights, W and R, each behind a DequantizeLinear: the row describes the
    /// one that loses most, named. Here W's codes are exact (infinite SQNR) and R's first value is
    /// 0.31 written as 3 x 0.1, so R's SQNR is by hand
    /// 10 log10((0.31^2 + 0.2^2 + 0.1^2 + 0.4^2) / 0.01^2) = 34.859 dB.
    @Test func recurrentRowDescribesItsWorstWeight() throws {
        func lstm(_ b: inout GraphBuilder, w: String, r: String) {
            b.node("LSTM", ["x", w, r], ["hidden_size": .int(1)], outputs: 3, name: "lstm")
            b.graph.nodes[b.graph.nodes.count - 1].outputs = ["y", "", ""]
            b.output("y")
        }
        let wValues: [Float] = [0.5, -0.25, 0.75, 1, 0.5, 0.25, -0.5, 0.125], rValues: [Float] = [0.31, -0.2, 0.1, 0.4]
        var float = GraphBuilder()
        float.input("x", [2, 1, 2])
        float.constant("W", Tensor(shape: [1, 4, 2], scalars: wValues))
        float.constant("R", Tensor(shape: [1, 4, 1], scalars: rValues))
        lstm(&float, w: "W", r: "R")
        var b = GraphBuilder()
        b.input("x", [2, 1, 2])
        for (name, value) in [("W_q", Tensor(shape: [1, 4, 2], scalars: wValues.map { Int8($0 * 8) })), ("W_s", Tensor(scalar: Float(0.125))),
                              ("R_q", Tensor(shape: [1, 4, 1], scalars: [Int8(3), -2, 1, 4])), ("R_s", Tensor(scalar: Float(0.1))),
                              ("z", Tensor(scalar: Int8(0)))] {
            b.constant(name, value)
        }
        b.node("DequantizeLinear", ["W_q", "W_s", "z"], name: "wdq"); b.graph.nodes[0].outputs = ["W_dq"]
        b.node("DequantizeLinear", ["R_q", "R_s", "z"], name: "rdq"); b.graph.nodes[1].outputs = ["R_dq"]
        lstm(&b, w: "W_dq", r: "R_dq")
        let graph = QuantizedGraph(quantized: b.model.graph, float: float.model.graph)
        #expect(graph.units.map(\.node) == ["lstm"] && graph.units.first?.weights.map(\.source) == ["W", "R"])
        let dir = TemporaryDirectories()
        let folder = dir.make()
        var random = RandomTensors(seed: 3)
        for k in 0..<2 { try Npy.write(random.uniform([2, 1, 2], -1...1), to: folder + "/\(k).npy") }
        let samples = try CalibrationDataset(directory: folder, inputs: float.model.graph.runtimeInputs)
        let report = try LayerReportBuilder.build(.init(float: float.model, quantized: b.model, samples: samples, localSamples: 2, threads: 1))
        let row = try #require(report.rows.first)
        #expect(row.weightName == "R")
        #expect(abs(try #require(row.weightSQNR) - 34.859) < 0.001)
    }

    /// ONNX Runtime quantizes a Mul's constant factor as a scalar (not a weight: rank 0) and may leave
    /// the product float when it is a graph output: the Mul is still quantized and must be listed.
    @Test func nodeReadingADequantizedScalarConstantIsAUnit() throws {
        var b = GraphBuilder()
        b.input("x", [1, 2])
        for (name, value) in [("s", Tensor(scalar: Float(0.05))), ("z", Tensor(scalar: UInt8(10))),
                              ("f_quantized", Tensor(scalar: UInt8(40))), ("fs", Tensor(scalar: Float(0.1))), ("fz", Tensor(scalar: UInt8(0)))] {
            b.constant(name, value)
        }
        b.node("QuantizeLinear", ["x", "s", "z"], name: "xq")
        b.graph.nodes[0].outputs = ["x_quantized"]
        b.node("DequantizeLinear", ["x_quantized", "s", "z"], name: "xdq")
        b.graph.nodes[1].outputs = ["x_dequantized"]
        b.node("DequantizeLinear", ["f_quantized", "fs", "fz"], name: "fdq")
        b.graph.nodes[2].outputs = ["f_dequantized"]
        b.node("Mul", ["x_dequantized", "f_dequantized"], name: "mul")
        b.graph.nodes[3].outputs = ["y"]
        b.output("y")
        var floatBuilder = GraphBuilder()
        floatBuilder.input("x", [1, 2])
        floatBuilder.constant("f", Tensor(scalar: Float(4)))
        floatBuilder.node("Mul", ["x", "f"], name: "mul")
        floatBuilder.graph.nodes[0].outputs = ["y"]
        let graph = QuantizedGraph(quantized: b.model.graph, float: floatBuilder.model.graph)
        #expect(graph.units.map(\.node) == ["mul"])
        #expect(graph.units.first?.weights.isEmpty == true && graph.units.first?.inputs.map(\.source) == ["x"])
    }

    /// x -> QuantizeLinear -> QLinearConv (1x1, weight W_quantized, activations on (s, z)) writing
    /// `output`, dequantized to the graph output `dequantized`.
    func qoperatorConv(zeroPoint: UInt8, output: String, dequantized: String) -> Graph {
        var b = GraphBuilder()
        b.input("x", [1, 2, 4, 4])
        for (name, value) in [("s", Tensor(scalar: Float(0.05))), ("z", Tensor(scalar: zeroPoint)), ("sw", Tensor(shape: [2], scalars: [Float(0.01), 0.01])),
                              ("zw", Tensor(shape: [2], scalars: [Int8(0), 0])),
                              ("W_quantized", Tensor(shape: [2, 2, 1, 1], scalars: [Int8(50), -25, 75, 100]))] {
            b.constant(name, value)
        }
        b.node("QuantizeLinear", ["x", "s", "z"], name: "xq")
        b.graph.nodes[0].outputs = ["x_quantized"]
        b.node("QLinearConv", ["x_quantized", "s", "z", "W_quantized", "sw", "zw", "s", "z"], name: "conv")
        b.graph.nodes[1].outputs = [output]
        b.node("DequantizeLinear", [output, "s", "z"], name: "dq")
        b.graph.nodes[2].outputs = [dequantized]
        b.output(dequantized)
        return b.graph
    }

    @Test func qoperatorNodesAreUnits() throws {
        var floatBuilder = GraphBuilder()
        floatBuilder.input("x", [1, 2, 4, 4])
        floatBuilder.constant("W", Tensor(shape: [2, 2, 1, 1], scalars: [Float(0.5), -0.25, 0.75, 1]))
        floatBuilder.node("Conv", ["x", "W"], name: "conv")
        floatBuilder.graph.nodes[0].outputs = ["r"]
        let graph = QuantizedGraph(quantized: qoperatorConv(zeroPoint: 10, output: "r_quantized", dequantized: "r"), float: floatBuilder.model.graph)
        let unit = try #require(graph.units.first)
        #expect(graph.units.count == 1 && unit.node == "conv" && unit.value == "r" && unit.readAt == "r")
        #expect(unit.inputs.map(\.source) == ["x"] && unit.weights.map(\.source) == ["W"] && unit.outputGrid?.scale == "s")
    }

    /// ONNX Runtime's QOperator output folds the Relu after a Conv into the QLinearConv's output
    /// grid and names the output after the Conv's: it is matched to the float Relu's output.
    @Test func qoperatorOutputWithAFoldedReluStandsForTheRelu() throws {
        let quantized = qoperatorConv(zeroPoint: 0, output: "c_quantized", dequantized: "y")
        func float(alsoReadingConv: Bool) -> Graph {
            var b = GraphBuilder()
            b.input("x", [1, 2, 4, 4])
            b.constant("W", Tensor(shape: [2, 2, 1, 1], scalars: [Float(0.5), -0.25, 0.75, 1]))
            b.node("Conv", ["x", "W"], name: "conv")
            b.graph.nodes[0].outputs = ["c"]
            b.node("Relu", ["c"], name: "relu")
            b.graph.nodes[1].outputs = ["r"]
            b.node("Sigmoid", ["r"], name: "head")
            b.graph.nodes[2].outputs = ["y"]
            if alsoReadingConv { b.node("Neg", ["c"], name: "other") }
            return b.graph
        }
        #expect(QuantizedGraph(quantized: quantized, float: float(alsoReadingConv: false)).units.first?.value == "r")
        // The Conv's output read by more than the Relu: the name is taken as it is.
        #expect(QuantizedGraph(quantized: quantized, float: float(alsoReadingConv: true)).units.first?.value == "c")
    }

    /// A dynamic-mode MatMulInteger's weight: its int8 constant, zero point input 3, and the constant
    /// factor of the scales' product the Mul after it applies (x_scale · w_scale).
    @Test func integerOpWeightIsFoundThroughItsScaleProduct() throws {
        var b = GraphBuilder()
        b.input("x", [2, 3])
        b.constant("W_int8", Tensor(shape: [3, 2], scalars: [Int8(10), -20, 30, -40, 50, -60]))
        b.constant("W_zero_point", Tensor(shape: [2], scalars: [Int8(0), 0]))
        b.constant("w_scale", Tensor(shape: [2], scalars: [Float(0.01), 0.02]))
        b.node("DynamicQuantizeLinear", ["x"], outputs: 3, name: "dql")
        b.node("MatMulInteger", ["dql_0", "W_int8", "dql_2", "W_zero_point"], name: "mm")
        b.node("Cast", ["mm"], ["to": .int(1)], name: "cast")
        b.node("Mul", ["dql_1", "w_scale"], name: "scales")
        b.node("Mul", ["cast", "scales"], name: "y")
        b.output("y")
        var floatBuilder = GraphBuilder()
        floatBuilder.input("x", [2, 3])
        floatBuilder.constant("W", Tensor(shape: [3, 2], scalars: [Float(0.1), -0.4, 0.3, -0.8, 0.5, -1.2]))
        floatBuilder.node("MatMul", ["x", "W"], name: "y")
        let unit = try #require(QuantizedGraph(quantized: b.model.graph, float: floatBuilder.model.graph).units.first)
        #expect(unit.node == "mm" && unit.value == "y")
        let weight = try #require(unit.weights.first)
        #expect(weight.quantized == "W_int8" && weight.grid.scale == "w_scale" && weight.grid.zeroPoint == "W_zero_point")
        #expect(weight.axis == 1 && weight.source == "W")
        // Its local error runs the DynamicQuantizeLinear and the scales' product with it.
        #expect(unit.members.sorted() == [0, 1, 2, 3, 4])
    }

    /// ONNX Runtime's dynamic mode looks embeddings up in int8 and dequantizes the rows: the Gather
    /// is a unit whose weight is the integer table and whose output is the dequantized rows.
    @Test func gatherFromAnIntegerTableIsAUnit() throws {
        var b = GraphBuilder()
        func rename(_ output: String) { b.graph.nodes[b.graph.nodes.count - 1].outputs = [output] }
        b.input("ids", [3], type: .int64)
        b.constant("E_quantized", Tensor(shape: [4, 2], scalars: [Int8(1), -2, 3, -4, 5, -6, 7, -8]))
        b.constant("E_scale", Tensor(scalar: Float(0.1)))
        b.constant("E_zero_point", Tensor(scalar: Int8(0)))
        b.node("Gather", ["E_quantized", "ids"], name: "lookup"); rename("rows_quantized")
        b.node("DequantizeLinear", ["rows_quantized", "E_scale", "E_zero_point"], name: "rows_DequantizeLinear"); rename("rows")
        b.output("rows")
        var floatBuilder = GraphBuilder()
        floatBuilder.input("ids", [3], type: .int64)
        floatBuilder.constant("E", Tensor(shape: [4, 2], scalars: [Float(0.11), -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]))
        floatBuilder.node("Gather", ["E", "ids"], name: "lookup")
        floatBuilder.graph.nodes[0].outputs = ["rows"]
        floatBuilder.output("rows")
        let units = QuantizedGraph(quantized: b.model.graph, float: floatBuilder.model.graph).units
        try #require(units.count == 1)
        #expect(units[0].node == "lookup" && units[0].value == "rows" && units[0].readAt == "rows" && units[0].inputs.isEmpty)
        let weight = try #require(units[0].weights.first)
        #expect(weight.quantized == "E_quantized" && weight.grid.scale == "E_scale" && weight.grid.zeroPoint == "E_zero_point")
        #expect(weight.axis == nil && weight.source == "E")
        #expect(units[0].members == [0, 1])
    }
}
