import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// A shift after a Conv that has a bias of its own is folded into that bias or kept as a float Add,
/// whichever gives the better output SQNR on calibration samples; a tie folds.
@Suite struct ShiftFoldingTests {
    let directories = TemporaryDirectories()

    /// Conv (with a bias) -> Add(shift) -> Relu -> 1x1 Conv, quantized on 12 random samples; the
    /// summary and the ops of the file written.
    func quantize(shift: Float, exclude: [String] = []) throws -> (QuantizationSummary, [String]) {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 21)
        let pads: [String: AttributeValue] = ["pads": .ints([1, 1, 1, 1])]
        let x = b.input("x", [1, 3, 6, 6])
        let y = b.node("Conv", [x, b.constant("w1", r.normal([4, 3, 3, 3], std: 0.2)), b.constant("b1", r.normal([4], std: 0.1))], pads)
        let activated = b.node("Relu", [b.node("Add", [y, b.constant("shift", Tensor(scalar: shift))], name: "lab_shift")])
        b.output(b.node("Conv", [activated, b.constant("w2", r.normal([2, 4, 1, 1]))]))
        let folder = directories.make()
        try ONNXWriter.write(b.model, to: folder + "/m.onnx")
        try Directory.create(folder + "/calib")
        for k in 0..<12 { try Npy.write(r.normal([1, 3, 6, 6]), to: folder + "/calib/\(k + 10).npy") }
        var options = ModelQuantization.Options(model: folder + "/m.onnx")
        options.calibrationDirectory = folder + "/calib"
        options.output = folder + "/q.onnx"
        options.quantization.excludeNodes = exclude
        let summary = try ModelQuantization.run(options)
        return (summary, try ONNXReader.read(path: folder + "/q.onnx").graph.nodes.map(\.opType))
    }

    /// The file follows the measurement, folded when not worse. On this model a shift of +0.5
    /// measures better folded and one of -1 better separate, so both outcomes are exercised.
    @Test func theMeasurementDecides() throws {
        var outcomes = Set<Bool>()
        for shift: Float in [0.5, -1] {
            let (summary, ops) = try quantize(shift: shift)
            let choice = try #require(summary.shiftFolding)
            #expect(choice.shifts == 1)
            #expect(choice.folded == (choice.foldedSQNR >= choice.separateSQNR))
            #expect(ops.contains("Add") == !choice.folded)
            #expect(summary.text.contains("shifts after a biased Conv: 1 Add " + (choice.folded ? "folded into the Conv's bias" : "kept separate")))
            outcomes.insert(choice.folded)
        }
        #expect(outcomes == [true, false])
    }

    /// A shift named by --exclude is not a candidate: no choice is made and the Add stays.
    @Test func aNamedShiftStays() throws {
        let (summary, ops) = try quantize(shift: 0, exclude: ["lab_shift"])
        #expect(summary.shiftFolding == nil)
        #expect(ops.contains("Add"))
    }
}
