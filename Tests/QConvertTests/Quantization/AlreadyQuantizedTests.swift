import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// A quantized model given back to quantize is refused (it would be quantized twice over); a
/// weight-only one is a float model stored compactly, and quantizes.
@Suite struct AlreadyQuantizedTests {
    let directories = TemporaryDirectories()
    static let fixture = Fixtures.model("conv_bn_relu")

    func quantize(_ model: String, mode: QuantizationOptions.Mode, to output: String) throws {
        var options = ModelQuantization.Options(model: model)
        options.quantization.mode = mode
        options.calibrationDirectory = Self.fixture.directory + "/calib"
        options.output = output
        _ = try ModelQuantization.run(options)
    }

    @Test func staticOutputIsRefusedNamingItsQuantizedOps() throws {
        let folder = directories.make()
        try quantize(Self.fixture.directory + "/model.onnx", mode: .static, to: folder + "/once.onnx")
        for mode in QuantizationOptions.Mode.allCases {
            do {
                try quantize(folder + "/once.onnx", mode: mode, to: folder + "/twice.onnx")
                Issue.record("\(mode): no error")
            } catch let error as QConvertError {
                #expect(error.description.hasPrefix(folder + "/once.onnx: already quantized ("))
                #expect(error.description.contains(" QuantizeLinear/DequantizeLinear pairs") && error.description.hasSuffix("give it the float original (qconvert compare FLOAT QUANT reports on this one)"))
                #expect(!FileChecks.exists(folder + "/twice.onnx"))
            }
        }
        // prepare refuses it too (it would fold the int8 weights back into float ones).
        let prepared = try Preparation.run(try ONNXReader.read(path: folder + "/once.onnx"))
        #expect(throws: QConvertError.self) { try Preparation.refuseQuantized(prepared.model.graph) }
    }

    /// A uint8 image input dequantized before the float network is preprocessing, not quantization.
    @Test func dequantizedModelInputIsAFloatModel() throws {
        var b = GraphBuilder()
        let pixels = b.input("pixels", [1, 2, 4, 4], type: .uint8)
        let x = b.node("DequantizeLinear", [pixels, b.constant("s", Tensor(scalar: Float(1) / 255))])
        var random = RandomTensors(seed: 5)
        let y = b.node("Conv", [x, b.constant("w", random.normal([3, 2, 3, 3]))])
        b.output(y)
        let folder = directories.make()
        _ = try ONNXWriter.write(b.model, to: folder + "/u8.onnx")
        var options = ModelQuantization.Options(model: folder + "/u8.onnx")
        options.quantization.mode = .weightOnly
        options.output = folder + "/u8.int8.onnx"
        _ = try ModelQuantization.run(options)
        #expect(FileChecks.exists(folder + "/u8.int8.onnx"))
    }

    /// A fake-quantized weight (float -> QuantizeLinear -> DequantizeLinear -> Conv) is a float model
    /// however far preparation went before folding it.
    @Test func fakeQuantizedWeightIsAFloatModelAtEveryStopPoint() throws {
        var b = GraphBuilder()
        let x = b.input("x", [1, 2, 4, 4])
        var random = RandomTensors(seed: 6)
        let q = b.node("QuantizeLinear", [b.constant("w", random.normal([3, 2, 3, 3])), b.constant("s", Tensor(scalar: Float(0.02)))])
        let y = b.node("Conv", [x, b.node("DequantizeLinear", [q, "s"])])
        b.output(y)
        for stop in [nil] + Pipelines.prepare.map(\.name) {
            let prepared = try Preparation.run(b.model, options: Preparation.Options(stopAfter: stop))
            #expect(throws: Never.self, "stopped after \(stop ?? "nothing")") { try Preparation.refuseQuantized(prepared.model.graph) }
        }
    }

    @Test func weightOnlyOutputQuantizesAsAFloatModel() throws {
        let folder = directories.make()
        try quantize(Self.fixture.directory + "/model.onnx", mode: .weightOnly, to: folder + "/weights.onnx")
        try quantize(folder + "/weights.onnx", mode: .static, to: folder + "/static.onnx")
        #expect(FileChecks.exists(folder + "/static.onnx"))
    }
}
