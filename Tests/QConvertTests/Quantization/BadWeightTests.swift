import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// A model whose weights are not finite is refused before any work, naming the tensor and the node
/// (it would otherwise be written with NaN scales and output NaN).
@Suite struct BadWeightTests {
    let directories = TemporaryDirectories()
    static let fixture = Fixtures.model("conv_bn_relu")

    /// The fixture with `initializer`'s element 3 set to `value`, quantized; the error text.
    func failure(_ initializer: String, _ value: Float) throws -> String {
        var model = try Self.fixture.model()
        var values = try #require(model.graph.initializers[initializer]?.floats())
        values[3] = value
        model.graph.initializers[initializer] = Tensor(shape: model.graph.initializers[initializer]!.shape, scalars: values)
        return try quantizationError(model, named: "bad", in: directories.make(), calibration: Self.fixture.directory + "/calib")
    }

    @Test(arguments: [Float.nan, .infinity])
    func nonFiniteWeight(value: Float) throws {
        #expect(try failure("conv_1.weight", value).hasSuffix(
            "initializer 'conv_1.weight' (read by node 'conv_1', after preparation) has a non-finite value (NaN or infinity) at flat index 3"))
    }

    /// LSTM weights are stored in int8 too, so an infinite one (which became an infinite scale) or a
    /// NaN (which became 0) is refused like a Conv's, in every mode.
    @Test(arguments: [QuantizationOptions.Mode.weightOnly, .dynamic, .static])
    func nonFiniteRecurrentWeight(mode: QuantizationOptions.Mode) throws {
        var model = try Fixtures.model("conv_lstm").model()
        var values = try #require(model.graph.initializers["lstm.R"]?.floats())
        values[3] = .infinity
        model.graph.initializers["lstm.R"] = Tensor(shape: model.graph.initializers["lstm.R"]!.shape, scalars: values)
        let calibration = mode == .static ? Fixtures.model("conv_lstm").directory + "/calib" : nil
        #expect(try quantizationError(model, named: "bad", in: directories.make(), mode: mode, calibration: calibration).hasSuffix(
            "initializer 'lstm.R' (read by node 'lstm_0', after preparation) has a non-finite value (NaN or infinity) at flat index 3"))
    }

    /// Folding takes the square root of the variance.
    @Test func negativeBatchNormVariance() throws {
        #expect(try failure("bn_0.var", -1).contains("initializer 'conv_0.weight' (read by node 'conv_0', after preparation) has a non-finite value"))
    }
}

/// A float16 model is refused in every mode, naming the input or weight that is not float32: weight-only
/// and dynamic modes would otherwise write it back unchanged, static mode fail inside a float32 kernel.
@Suite struct HalfPrecisionModelTests {
    let directories = TemporaryDirectories()
    static let fixture = Fixtures.model("gemm_relu")

    func failure(_ model: Model, mode: QuantizationOptions.Mode) throws -> String {
        try quantizationError(model, named: "half", in: directories.make(), mode: mode,
                              calibration: mode == .static ? Self.fixture.directory + "/calib" : nil)
    }

    @Test(arguments: [QuantizationOptions.Mode.weightOnly, .dynamic, .static])
    func halfWeight(mode: QuantizationOptions.Mode) throws {
        var model = try Self.fixture.model()
        let weight = try #require(model.graph.initializers["gemm_0.weight"])
        var half = Tensor(shape: weight.shape, scalars: try #require(weight.floats()).map(Float16Bits.fromFloat))
        half.dataType = .float16
        model.graph.initializers["gemm_0.weight"] = half
        #expect(try failure(model, mode: mode).hasSuffix(
            "half.onnx: weight 'gemm_0.weight' of node 'gemm_0' is float16: qconvert quantizes float32 models; convert this one to float32 first"))
    }

    @Test func halfInput() throws {
        var model = try Self.fixture.model()
        model.graph.inputs[0] = ValueInfo(name: "input", elementType: .float16, shape: [.value(2), .value(16)])
        #expect(try failure(model, mode: .weightOnly).hasSuffix("half.onnx: input 'input' is float16: qconvert quantizes float32 models; convert this one to float32 first"))
    }
}

/// Writes `model` as `folder/name.onnx`, quantizes it, and returns the error's text ("no error" if
/// none), expecting no output file left behind.
private func quantizationError(_ model: Model, named name: String, in folder: String, mode: QuantizationOptions.Mode = .static,
                               calibration: String?) throws -> String {
    _ = try ONNXWriter.write(model, to: folder + "/\(name).onnx")
    var options = ModelQuantization.Options(model: folder + "/\(name).onnx")
    options.quantization.mode = mode
    options.calibrationDirectory = calibration
    options.output = folder + "/\(name).int8.onnx"
    do {
        _ = try ModelQuantization.run(options)
        return "no error"
    } catch let error as QConvertError {
        #expect(!FileChecks.exists(folder + "/\(name).int8.onnx"))
        return error.description
    }
}
