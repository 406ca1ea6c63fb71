import QConvertIR

/// How closely a quantized model's outputs follow the float model's on some samples: SQNR per output
/// over all samples together, 10 log10(sum y^2 / sum (y - y_q)^2), as evaluate.py measures it.
public struct OutputAgreement: Codable, Sendable, Equatable {
    /// Output name -> SQNR in dB (infinity when identical).
    public var sqnr: [String: Double]
    public var samples: Int
    /// Per sample, the lowest SQNR over the outputs (capped at 300 dB where identical): what
    /// `--weight-rounding auto` compares sample by sample. Not saved with the summary.
    public var perSample: [Double] = []
    /// Outputs the float model leaves at 0 on every sample: their SQNR (infinite when the quantized
    /// model is 0 too) measures nothing. Not saved with the summary.
    public var zeroOutputs: [String] = []

    enum CodingKeys: String, CodingKey {
        case sqnr, samples
    }

    /// The float model's outputs on each sample of a dataset, computed once so that several quantized
    /// candidates (range methods, float fallbacks) are compared against them without re-running it.
    public struct Reference {
        let names: [String]
        let outputs: [[String: Tensor]]

        /// Fails when an output is not finite on a sample: no SQNR can be measured against NaN, and
        /// every range method then scored "nan dB" and one was picked anyway (found by a black-box
        /// run on a Log of negative values).
        public init(_ reference: Interpreter, dataset: CalibrationDataset) throws {
            let names = reference.model.graph.outputs.map(\.name)
            self.names = names
            outputs = try (0..<dataset.count).map { index in
                let results = try dataset.withSample(index) { try reference.run($0) }
                if let output = names.first(where: { results[$0].map { SampleValidation.firstNonFinite($0) != nil } ?? false }) {
                    throw try Self.nonFinite(output, reference: reference, dataset: dataset, sample: index)
                }
                return results
            }
        }

        /// The error for output `output` holding NaN or infinity on sample `index`, naming the node
        /// that first produced a non-finite value (found by running the sample again, watching every value).
        static func nonFinite(_ output: String, reference: Interpreter, dataset: CalibrationDataset, sample index: Int) throws -> QConvertError {
            var first: String?
            _ = try dataset.withSample(index) { feeds in
                try reference.run(feeds) { name, tensor in
                    if first == nil, SampleValidation.firstNonFinite(tensor) != nil { first = name }
                }
            }
            let graph = reference.model.graph
            let origin = first.flatMap { graph.producers()[$0] }.map { " (first from node '\(graph.nodes[$0].displayName)' (\(graph.nodes[$0].opType)))" } ?? ""
            return QConvertError("\(dataset.sources[index]): the float model's output '\(output)' holds NaN or infinity on this sample\(origin), so nothing can be measured against it")
        }
    }

    /// Runs both models on every sample of `dataset`.
    public static func measure(reference: Interpreter, test: Interpreter, dataset: CalibrationDataset) throws -> OutputAgreement {
        try measure(reference: Reference(reference, dataset: dataset), test: test, dataset: dataset)
    }

    /// Runs the quantized model on every sample of `dataset` (the one `reference` was computed on).
    public static func measure(reference: Reference, test: Interpreter, dataset: CalibrationDataset) throws -> OutputAgreement {
        var signal: [String: Double] = [:], noise: [String: Double] = [:]
        var perSample: [Double] = []
        for index in 0..<dataset.count {
            var sampleWorst = 300.0
            let expected = reference.outputs[index], actual = try dataset.withSample(index, { try test.run($0) })
            for output in reference.names {
                guard let quantized = actual[output] else {
                    throw QConvertError("the quantized model has no output named '\(output)', which the float model has")
                }
                guard let float = expected[output], float.shape == quantized.shape, let y = float.floats(), let q = quantized.floats() else {
                    throw QConvertError("output '\(output)' differs in shape between the float and the quantized model (\(expected[output]?.shape ?? []) against \(quantized.shape))")
                }
                var s = 0.0, n = 0.0
                for i in 0..<y.count {
                    let a = Double(y[i]), d = a - Double(q[i])
                    s += a * a
                    n += d * d
                }
                signal[output, default: 0] += s
                noise[output, default: 0] += n
                if n > 0 { sampleWorst = min(sampleWorst, max(-300, 10 * log10(s / n))) }
            }
            perSample.append(sampleWorst)
        }
        var sqnr: [String: Double] = [:]
        for (name, s) in signal {
            let n = noise[name] ?? 0
            sqnr[name] = n == 0 ? .infinity : 10 * log10(s / n)
        }
        let zero = signal.filter { $0.value == 0 }.map(\.key).sorted()
        return OutputAgreement(sqnr: sqnr, samples: dataset.count, perSample: perSample, zeroOutputs: zero)
    }

    /// The lowest SQNR over the outputs.
    public var worst: Double { sqnr.values.min() ?? .infinity }
}

#if canImport(Glibc)
import Glibc
#endif
