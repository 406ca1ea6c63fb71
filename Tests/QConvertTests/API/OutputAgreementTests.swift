import Foundation
import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Output SQNR against the float model, and for an output a Concat assembles, per part: checked
/// against sums computed here from the same samples.
@Suite struct OutputAgreementTests {
    let temporary = TemporaryDirectories()

    /// out = Concat(x * 100, Sigmoid(x) + shift) on axis -2: "boxes" in the hundreds and "scores" in
    /// [0, 1], as a detector's one output holds them; `batch` > 1 puts the parts in several runs.
    func detector(scoreShift: Float, batch: Int) -> Model {
        var b = GraphBuilder()
        let x = b.input("x", [batch, 2, 3])
        let boxes = b.node("Mul", [x, b.constant("hundred", Tensor(scalar: Float(100)))], name: "boxes")
        let scores = b.node("Add", [b.node("Sigmoid", [x]), b.constant("shift", Tensor(scalar: scoreShift))], name: "scores")
        b.graph.nodes.append(Node(name: "out", opType: "Concat", inputs: [boxes, scores], outputs: ["out"], attributes: [Attribute(name: "axis", value: .int(-2))]))
        b.output("out")
        return b.model
    }

    @Test(arguments: [1, 2])
    func partsOfAConcatOutputAreMeasuredApart(batch: Int) throws {
        let folder = temporary.make()
        var r = RandomTensors(seed: 4)
        let samples = (0..<2).map { _ in r.normal([batch, 2, 3]) }
        for (k, sample) in samples.enumerated() { try Npy.write(sample, to: folder + "/\(k).npy") }
        let float = detector(scoreShift: 0, batch: batch), shifted = detector(scoreShift: 0.01, batch: batch)
        let dataset = try CalibrationDataset(directory: folder, inputs: float.graph.runtimeInputs)
        let agreement = try OutputAgreement.measure(reference: Interpreter(model: float), test: Interpreter(model: shifted), dataset: dataset)

        // By hand: boxes are exact; every score is off by the float32 value of sigmoid + 0.01.
        var boxSignal = 0.0, scoreSignal = 0.0, scoreNoise = 0.0
        for sample in samples {
            for v in try #require(sample.floats()) {
                boxSignal += pow(Double(v * 100), 2)
                let score = 1 / (1 + exp(-Double(v)))
                scoreSignal += score * score
                scoreNoise += 0.01 * 0.01
            }
        }
        let whole = try #require(agreement.sqnr["out"])
        #expect(abs(whole - 10 * log10((boxSignal + scoreSignal) / scoreNoise)) < 0.01)
        let parts = try #require(agreement.parts["out"])
        #expect(parts.map(\.value) == ["boxes", "scores"])
        #expect(parts[0].sqnr == .infinity)
        #expect(abs(parts[1].sqnr - 10 * log10(scoreSignal / scoreNoise)) < 0.01)
        // The whole output's SQNR is the boxes'; the scores' is 40 dB lower.
        #expect(whole - parts[1].sqnr > 40)
        #expect(OutputAgreement.listing(agreement.sqnr, parts: agreement.parts) { String(format: "%.0f", $0) }
                == ["out \(String(format: "%.0f", whole)) dB (Concat of boxes inf dB, scores \(String(format: "%.0f", parts[1].sqnr)) dB)"])
    }

    /// A constant part (never produced during a run) is placed by its initializer's shape.
    @Test func aConstantPartIsPlacedByItsInitializer() throws {
        let folder = temporary.make()
        var r = RandomTensors(seed: 6)
        try Npy.write(r.normal([1, 2, 3]), to: folder + "/0.npy")
        func model(_ constant: Float) -> Model {
            var b = GraphBuilder()
            let x = b.node("Sigmoid", [b.input("x", [1, 2, 3])], name: "scores")
            let zeros = b.constant("zeros", Tensor(shape: [1, 1, 3], scalars: [Float](repeating: constant, count: 3)))
            b.graph.nodes.append(Node(name: "out", opType: "Concat", inputs: [zeros, x], outputs: ["out"], attributes: [Attribute(name: "axis", value: .int(1))]))
            b.output("out")
            return b.model
        }
        let dataset = try CalibrationDataset(directory: folder, inputs: model(0).graph.runtimeInputs)
        let agreement = try OutputAgreement.measure(reference: Interpreter(model: model(0)), test: Interpreter(model: model(0.5)), dataset: dataset)
        let parts = try #require(agreement.parts["out"])
        #expect(parts.map(\.value) == ["zeros", "scores"])
        #expect(parts[0].sqnr == -.infinity && parts[1].sqnr == .infinity)
    }

    @Test func anOutputNotMadeByAConcatHasNoParts() throws {
        let folder = temporary.make()
        var r = RandomTensors(seed: 5)
        try Npy.write(r.normal([1, 2, 3]), to: folder + "/0.npy")
        var b = GraphBuilder()
        b.output(b.node("Sigmoid", [b.input("x", [1, 2, 3])], name: "y"))
        let dataset = try CalibrationDataset(directory: folder, inputs: b.model.graph.runtimeInputs)
        let agreement = try OutputAgreement.measure(reference: Interpreter(model: b.model), test: Interpreter(model: b.model), dataset: dataset)
        #expect(agreement.parts.isEmpty && agreement.sqnr["y"] == .infinity)
    }
}
