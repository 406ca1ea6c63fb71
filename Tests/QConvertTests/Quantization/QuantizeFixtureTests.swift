import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// The main job on fixtures: weights, biases and activation parameters in the written file follow
/// the formulas exactly (checked against the float weights, recomputed here by hand).
@Suite struct QuantizeFixtureTests {
    let temporary = TemporaryDirectories()

    /// Quantizes a fixture and returns the prepared float model and the quantized one as read back.
    func quantize(_ name: String, weightBits: Int) throws -> (float: Model, quantized: Model) {
        let fixture = Fixtures.model(name)
        var options = ModelQuantization.Options(model: fixture.modelPath)
        options.calibrationDirectory = fixture.directory + "/calib"
        options.output = temporary.make() + "/q.onnx"
        options.quantization.weightBits = weightBits
        // Round to nearest: the s/2 property checked below is that rounding's (GPTQ moves weights
        // further on purpose; GPTQTests checks what it promises instead).
        options.quantization.weightRounding = .nearest
        options.threads = 1
        _ = try ModelQuantization.run(options)
        let prepared = try Preparation.run(try fixture.model()).model
        return (prepared, try ONNXReader.read(path: options.output!))
    }

    /// The library refuses what the CLI refuses: a QOperator request outside static mode, which
    /// would otherwise be ignored.
    @Test(arguments: [QuantizationOptions.Mode.dynamic, .weightOnly])
    func qoperatorOutsideStaticModeIsRefused(mode: QuantizationOptions.Mode) throws {
        var options = ModelQuantization.Options(model: Fixtures.model("conv_bn_relu").modelPath)
        options.output = temporary.make() + "/q.onnx"
        options.quantization.mode = mode
        options.quantization.format = .qoperator
        #expect(throws: QConvertError.self) { try ModelQuantization.run(options) }
        #expect(!FileChecks.exists(options.output!))
    }

    /// The written model declares the value shapes the input declared and no others: those inferred
    /// while preparing are left for the runtime to infer again (on ppocr_cls they were 3% of the file).
    @Test func writtenModelDeclaresOnlyTheInputsValueShapes() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        var model = try fixture.model()
        #expect(model.graph.valueInfo.isEmpty)
        model.graph.valueInfo["relu_0_out"] = ValueInfo(name: "relu_0_out", elementType: .float, shape: [.value(1), .value(8), .value(16), .value(16)])
        let folder = temporary.make()
        try ONNXWriter.write(model, to: folder + "/m.onnx")
        var options = ModelQuantization.Options(model: folder + "/m.onnx")
        options.calibrationDirectory = fixture.directory + "/calib"
        options.output = folder + "/q.onnx"
        _ = try ModelQuantization.run(options)
        let written = try ONNXReader.read(path: folder + "/q.onnx")
        #expect(Array(written.graph.valueInfo.keys) == ["relu_0_out"])
        #expect(written.graph.valueInfo["relu_0_out"] == model.graph.valueInfo["relu_0_out"])
    }

    /// A quantized Conv reads its weight and bias under the original model's names (BatchNorm
    /// folded in place), each produced by an unnamed DequantizeLinear of `name_q`; no float copy stays.
    @Test func quantizedWeightsKeepTheOriginalNames() throws {
        let (_, quantized) = try quantize("conv_bn_relu", weightBits: 8)
        let producers = quantized.graph.producers()
        let convs = quantized.graph.nodes.filter { $0.opType == "Conv" }
        #expect(convs.map { Array($0.inputs.dropFirst()) } == [["conv_0.weight", "conv_0.bias"], ["conv_1.weight", "conv_1.bias"]])
        for name in convs.flatMap({ $0.inputs.dropFirst() }) {
            let node = try #require(producers[name].map { quantized.graph.nodes[$0] })
            #expect(node.opType == "DequantizeLinear" && node.name.isEmpty && node.inputs[0] == name + "_q")
            #expect(quantized.graph.initializers[name] == nil)
        }
    }

    /// For each DequantizeLinear of an int8 initializer: the float weight it replaces, from the
    /// prepared model, matched through the Conv/Gemm input it feeds.
    @Test(arguments: [(7, "conv_bn_relu"), (8, "conv_bn_relu"), (8, "gemm_relu"), (8, "conv_transpose"), (7, "matmul_transformer_block")])
    func weightsAndBiasesFollowTheFormulas(bits: Int, fixture: String) throws {
        let (float, quantized) = try quantize(fixture, weightBits: bits)
        let qmax = Float((1 << (bits - 1)) - 1)
        // Compute nodes with a constant weight (a MatMul of two activations has none).
        let floatCompute = float.graph.nodes.filter {
            ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains($0.opType) && float.graph.initializers[$0.inputs[1]] != nil
        }
        let quantCompute = quantized.graph.nodes.filter {
            ["Conv", "ConvTranspose", "Gemm", "MatMul"].contains($0.opType) && quantized.graph.producers()[$0.inputs[1]]
                .map { quantized.graph.nodes[$0].opType == "DequantizeLinear" && quantized.graph.initializers[quantized.graph.nodes[$0].inputs[0]] != nil } == true
        }
        #expect(floatCompute.count == quantCompute.count)
        let producers = quantized.graph.producers()
        var checkedWeights = 0, checkedBiases = 0
        for (f, q) in zip(floatCompute, quantCompute) {
            guard let w = float.graph.initializers[f.inputs[1]], let dq = producers[q.inputs[1]].map({ quantized.graph.nodes[$0] }),
                  dq.opType == "DequantizeLinear" else { continue }
            let wq = try #require(quantized.graph.initializers[dq.inputs[0]])
            let scales = try #require(quantized.graph.initializers[dq.inputs[1]]?.floats())
            // Symmetric: the zero point is 0, which DequantizeLinear assumes when it is left out.
            #expect(wq.dataType == .int8 && dq.inputs.count == 2)
            var axis = (try? dq.int("axis", default: 1)) ?? 1
            if axis < 0 { axis += w.rank }
            // Per-channel scale = max|w_c| / qmax (before any widening for the bias, checked below).
            let maxima = WeightQuantization.channelMaxima(w, axis: axis)
            let values = try #require(w.floats()), codes = try #require(wq.integers())
            let index = AffineQuantization.ParameterIndex(axis: axis, shape: w.shape)
            for c in maxima.indices {
                #expect(scales[c] >= maxima[c] / qmax * 0.999999, "scale below max|w|/qmax at channel \(c)")
            }
            for i in values.indices {
                let s = scales[index(i)]
                #expect(abs(Float(codes[i])) <= qmax)
                #expect(abs(Float(codes[i]) * s - values[i]) <= s / 2 * 1.0001, "weight \(i) dequantizes too far")
            }
            checkedWeights += 1
            // Bias: int32 codes = round(b / (s_x s_w[c])), scale input = s_x * s_w.
            guard f.inputs.count > 2, let b = float.graph.initializers[f.inputs[2]]?.floats(),
                  let bdq = producers[q.inputs[2]].map({ quantized.graph.nodes[$0] }) else { continue }
            let xdq = try #require(producers[q.inputs[0]].map { quantized.graph.nodes[$0] })
            let sx = try #require(quantized.graph.initializers[xdq.inputs[1]]?.floats()?.first)
            let biasCodes = try #require(quantized.graph.initializers[bdq.inputs[0]]?.integers())
            let biasScales = try #require(quantized.graph.initializers[bdq.inputs[1]]?.floats())
            for c in b.indices {
                #expect(biasScales[c] == sx * scales[scales.count == 1 ? 0 : c])
                #expect(biasCodes[c] == Int64((b[c] / biasScales[c]).rounded(.toNearestOrEven)))
            }
            checkedBiases += 1
        }
        #expect(checkedWeights == floatCompute.count)
        #expect(checkedBiases > 0 || fixture == "matmul_transformer_block")
    }

    @Test func activationZeroPointsAreInRangeAndZeroIsExact() throws {
        let (_, quantized) = try quantize("residual_add", weightBits: 7)
        for node in quantized.graph.nodes where node.opType == "QuantizeLinear" {
            let scale = try #require(quantized.graph.initializers[node.inputs[1]]?.floats()?.first)
            let zero = try #require(quantized.graph.initializers[node.inputs[2]])
            #expect(zero.dataType == .uint8)
            #expect(scale > 0)
            // zero is exactly representable: real 0 maps to the integer zero point.
            #expect(AffineQuantization.quantize(0, scale: scale, zeroPoint: zero.integers()![0], range: 0...255) == zero.integers()![0])
        }
    }
}
