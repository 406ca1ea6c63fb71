@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// integer-hardswish: DQ -> HardSwish -> Mul(a) -> Add(b) -> Q becomes a gate Add and a Mul between
/// quantizers, whose integers are checked against HardSwish computed here from its definition.
@Suite struct IntegerHardSwishTests {
    /// Every code of an 8-bit input, x = (q - zx)·0.05 (so x runs through -6.4...6.35, across the
    /// gate's bends at -3 and 3), then y = 0.8·HardSwish(x) + 0.107 quantized on (0.02, zy).
    func chain(_ type: QuantType, zx: Int32, zy: Int32, affine: Bool = true) -> Model {
        var b = GraphBuilder(opset: 14)
        func integer(_ name: String, _ v: Int32) -> String {
            b.constant(name, type == .uint8 ? Tensor(scalar: UInt8(v)) : Tensor(scalar: Int8(v)))
        }
        let xq = b.input("xq", [1, 1, 1, 256], type: type.dataType)
        let x = b.node("DequantizeLinear", [xq, b.constant("sx", Tensor(scalar: Float(0.05))), integer("zx", zx)], name: "x")
        var h = b.node("HardSwish", [x], name: "hs")
        if affine {
            h = b.node("Add", [b.node("Mul", [h, b.constant("a", Tensor(scalar: Float(0.8)))]), b.constant("b", Tensor(scalar: Float(0.107)))])
        }
        let yq = b.node("QuantizeLinear", [h, b.constant("sy", Tensor(scalar: Float(0.02))), integer("zy", zy)], name: "yq")
        b.output(b.node("DequantizeLinear", [yq, "sy", "zy"], name: "y"))
        return b.model
    }

    func codes(_ type: QuantType) -> Tensor {
        type == .uint8 ? Tensor(shape: [1, 1, 1, 256], scalars: (0...255).map { UInt8($0) })
                       : Tensor(shape: [1, 1, 1, 256], scalars: (-128...127).map { Int8($0) })
    }

    @Test(arguments: [(QuantType.uint8, Int32(128), Int32(40)), (.int8, 0, -88)])
    func integersFollowHardSwish(type: QuantType, zx: Int32, zy: Int32) throws {
        let before = chain(type, zx: zx, zy: zy)
        let (after, report) = try PassChecks.run(IntegerHardSwish(), on: before)
        #expect(report.changes == 1)
        #expect(after.graph.nodes.map(\.opType) == ["DequantizeLinear", "DequantizeLinear", "Add", "QuantizeLinear", "DequantizeLinear", "Mul",
                                                    "QuantizeLinear", "DequantizeLinear"])
        // The output grid takes a into its scale, and b = 5.35 steps into its zero point as 5.
        let quantize = try #require(after.graph.nodes.first { $0.outputs == ["yq"] })
        #expect(after.graph.initializers[quantize.inputs[1]]?.floats() == [Float(0.02) / 0.8])
        #expect(after.graph.initializers[quantize.inputs[2]]?.integers() == [Int64(zy) + 5])

        let feeds = ["xq": codes(type)]
        let old = try Interpreter(model: before, threads: 1).run(feeds, keep: ["yq"])
        let new = try Interpreter(model: after, threads: 1).run(feeds, keep: ["yq", "hs_gate_q"])
        let gate = try #require(new["hs_gate_q"]?.integers()), oldY = try #require(old["yq"]?.integers()), newY = try #require(new["yq"]?.integers())
        for (k, q) in codes(type).integers()!.enumerated() {
            let x = Double(q - Int64(zx)) * 0.05
            // The gate holds min(max(x + 3, 0), 6) in 255 steps from the type's lowest code (either
            // neighbour at a tie, which float32 arithmetic may break either way).
            let steps = min(max(x + 3, 0), 6) * 255 / 6, tie = abs(steps - steps.rounded(.down) - 0.5) < 1e-3
            #expect(abs(gate[k] - type.min - Int64(steps.rounded(.toNearestOrEven))) <= (tie ? 1 : 0), "x = \(x)")
            // y read back on the readers' grid (0.02, zy): off from the true value by the output's
            // rounding (half a step), the shift's (0.35 of a step) and the gate's (0.8·|x|/510).
            let y = 0.8 * x * min(max(x + 3, 0), 6) / 6 + 0.107
            let read = Double(newY[k] - Int64(zy)) * 0.02
            let bound: Double = 0.01 + 0.35 * 0.02 + 0.8 * abs(x) / 510 + 1e-6
            if newY[k] > type.min && newY[k] < type.max {
                #expect(abs(read - y) <= bound, "x = \(x): \(read) for \(y)")
            }
            #expect(abs(newY[k] - oldY[k]) <= 1, "x = \(x)")
        }
    }

    /// Without an affine the output grid is the QuantizeLinear's own.
    @Test func bareHardSwishKeepsItsGrid() throws {
        let (after, _) = try PassChecks.run(IntegerHardSwish(), on: chain(.uint8, zx: 128, zy: 40, affine: false))
        let quantize = try #require(after.graph.nodes.first { $0.outputs == ["yq"] })
        #expect(after.graph.initializers[quantize.inputs[1]]?.floats() == [0.02])
        #expect(after.graph.initializers[quantize.inputs[2]]?.integers() == [40])
        #expect(!after.graph.nodes.contains { $0.opType == "HardSwish" })
    }

    /// A HardSwish whose output also feeds something else, or whose affine is not one value, stays.
    @Test func otherFormsAreLeftAlone() throws {
        var shared = chain(.uint8, zx: 128, zy: 40, affine: false)
        shared.graph.nodes.append(Node(name: "side", opType: "Relu", inputs: ["hs"], outputs: ["side"]))
        shared.graph.outputs.append(ValueInfo(name: "side"))
        #expect(try PassChecks.run(IntegerHardSwish(), on: shared).1.changes == 0)
        var perChannel = chain(.uint8, zx: 128, zy: 40)
        perChannel.graph.initializers["a"] = Tensor(shape: [256], scalars: [Float](repeating: 0.8, count: 256))
        #expect(try PassChecks.run(IntegerHardSwish(), on: perChannel).1.changes == 0)
    }

    /// `--integer-hardswish` end to end, in both formats: the activation after the HardSwish is not
    /// equalized (its affine stays scalar), every HardSwish becomes the integer form (QLinearAdd and
    /// QLinearMul in QOperator form), and the model stays close to the float one.
    @Test(arguments: QuantizationOptions.Format.allCases)
    func quantizeWithIntegerHardSwish(format: QuantizationOptions.Format) throws {
        let directories = TemporaryDirectories()
        let folder = directories.make()
        var b = GraphBuilder(opset: 14)
        var r = RandomTensors(seed: 21)
        let x = b.input("x", [1, 4, 8, 8])
        var w = r.normal([6, 4, 1, 1]).floats()!
        for o in 0..<6 { for i in 0..<4 { w[o * 4 + i] *= [0.05, 4, 0.3, 1, 2.5, 0.1][o] } }   // channels 80x apart: equalization's case
        // A shift after a biased Conv, as PP-LCNetV3 has before each HardSwish: it must fold for the
        // HardSwish to read a dequantized value.
        let conv = b.node("Conv", [x, b.constant("w1", Tensor(shape: [6, 4, 1, 1], scalars: w)), b.constant("b1", r.normal([6]))])
        let h = b.node("HardSwish", [b.node("Add", [conv, b.constant("shift", Tensor(shape: [1, 6, 1, 1], scalars: r.normal([6]).floats()!))])])
        let affine = b.node("Add", [b.node("Mul", [h, b.constant("a", Tensor(scalar: Float(0.7)))]), b.constant("c", Tensor(scalar: Float(0.2)))], name: "lab")
        // A padding reader, so the affine stays for the HardSwish to take in (fold-input-affine
        // would fold it into a pointwise Conv).
        b.output(b.node("Conv", [affine, b.constant("w2", r.normal([4, 6, 3, 3], std: 0.3)), b.constant("b2", r.normal([4]))], ["pads": .ints([1, 1, 1, 1])]))
        var run = try QuantizationCase(b.model, in: folder, samples: 12, inputShape: [1, 4, 8, 8], random: &r)
        run.options.quantization.integerHardSwish = true
        run.options.quantization.format = format
        let summary = try run.run()
        let quantized = try ONNXReader.read(path: folder + "/q.onnx")
        let ops = Set(quantized.graph.nodes.map(\.opType))
        #expect(!ops.contains("HardSwish"))
        #expect(summary.integerHardSwish?.rewritten == 1 && summary.integerHardSwish?.hardSwish == 1)
        #expect(summary.shiftFolding?.folded == true)
        #expect(!quantized.graph.nodes.flatMap(\.outputs).contains { $0.hasSuffix("_eq") })
        // Without the flag the same activation is equalized.
        run.options.quantization.integerHardSwish = false
        run.options.output = folder + "/plain.onnx"
        _ = try run.run()
        #expect(try ONNXReader.read(path: folder + "/plain.onnx").graph.nodes.flatMap(\.outputs).contains { $0.hasSuffix("_eq") })
        // The report compares the float "lab" on the grid its reader takes it on, not on the
        // quantizer's (input 1 of a QuantizeLinear, 6 of a QLinearMul), which took in the affine.
        let quantizer = try #require(quantized.graph.nodes.first { $0.opType == "QLinearMul" || $0.opType == "QuantizeLinear" && $0.inputs[0].hasSuffix("_product") })
        let reader = try #require(quantized.graph.nodes.first { ["DequantizeLinear", "QLinearConv"].contains($0.opType) && $0.inputs[0] == quantizer.outputs[0] })
        let quantizerScale = quantizer.inputs[quantizer.opType == "QLinearMul" ? 6 : 1]
        let row = try #require(summary.report?.rows.first { $0.output == "lab" })
        #expect(row.scale == quantized.graph.initializers[reader.inputs[1]]?.floats()?.first)
        #expect(row.scale != quantized.graph.initializers[quantizerScale]?.floats()?.first)
        if format == .qoperator { #expect(ops.isSuperset(of: ["QLinearAdd", "QLinearMul"])) }
        let feeds = ["x": r.normal([1, 4, 8, 8])]
        let reference = try Interpreter(model: b.model, threads: 1).run(feeds), test = try Interpreter(model: quantized, threads: 1).run(feeds)
        let name = b.model.graph.outputs[0].name
        #expect(Closeness.sqnr(reference: reference[name]!, test: test[name]!) > 25)
    }
}
