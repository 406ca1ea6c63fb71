import QConvert
import QConvertIR
import QConvertONNX

/// A float model written to a folder with random calibration samples beside it, and the options
/// that quantize it to FOLDER/q.onnx: what most quantization tests start from.
public struct QuantizationCase {
    public let folder: String
    public var options: ModelQuantization.Options

    /// Writes `model` as FOLDER/m.onnx and `samples` samples of `inputShape` drawn from `random`
    /// (in that order, so a test's other draws stay as they were) as FOLDER/calib/10.npy, 11.npy...
    public init(_ model: Model, in folder: String, samples: Int, inputShape: [Int], random: inout RandomTensors) throws {
        self.folder = folder
        try ONNXWriter.write(model, to: folder + "/m.onnx")
        try Directory.create(folder + "/calib")
        for k in 0..<samples { try Npy.write(random.normal(inputShape), to: folder + "/calib/\(k + 10).npy") }
        options = ModelQuantization.Options(model: folder + "/m.onnx")
        options.calibrationDirectory = folder + "/calib"
        options.output = folder + "/q.onnx"
    }

    /// Quantizes with the current options.
    public func run() throws -> QuantizationSummary {
        try ModelQuantization.run(options)
    }
}
