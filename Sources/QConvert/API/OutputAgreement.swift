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
    /// For an output a Concat assembles, the SQNR of each part, in the Concat's order. A detector's
    /// boxes and class scores often share one output; its SQNR is then the boxes' (yolov8n_320:
    /// 33.7 dB on the eval split, with class scores at 16.7 dB), and only the parts show the scores'.
    public var parts: [String: [Part]] = [:]

    enum CodingKeys: String, CodingKey {
        case sqnr, samples, parts
    }

    /// One input of the Concat producing an output, and the SQNR of that slice of the output.
    public struct Part: Codable, Sendable, Equatable {
        public var value: String
        public var sqnr: Double
    }

    /// "name 33.2 dB" per output, sorted by name, with its parts where it has them.
    public static func listing(_ sqnr: [String: Double], parts: [String: [Part]], db: (Double) -> String) -> [String] {
        sqnr.sorted { $0.key < $1.key }.map { output, value in
            "\(output) \(db(value)) dB" + (parts[output].map { " (Concat of " + $0.map { "\($0.value) \(db($0.sqnr)) dB" }.joined(separator: ", ") + ")" } ?? "")
        }
    }

    /// The float model's outputs on each sample of a dataset, computed once so that several quantized
    /// candidates (range methods, float fallbacks) are compared against them without re-running it.
    public struct Reference {
        let names: [String]
        let outputs: [[String: Tensor]]
        /// Outputs a Concat produces: its axis (as written, maybe negative) and inputs.
        let assemblies: [String: (axis: Int, parts: [String])]
        /// Per sample, where each assembled output's parts lie (where all are known).
        let layouts: [[String: PartLayout]]

        /// The axis (non-negative) and each part's size along it.
        struct PartLayout {
            let axis: Int
            let sizes: [Int]
        }

        /// Fails when an output is not finite on a sample: no SQNR can be measured against NaN, and
        /// every range method then scored "nan dB" and one was picked anyway (found by a black-box
        /// run on a Log of negative values).
        public init(_ reference: Interpreter, dataset: CalibrationDataset) throws {
            let graph = reference.model.graph
            let names = graph.outputs.map(\.name)
            self.names = names
            var assemblies: [String: (axis: Int, parts: [String])] = [:]
            for node in graph.nodes where node.opType == "Concat" && node.isDefaultDomain && node.inputs.count >= 2 && names.contains(node.outputs[0]) {
                guard !node.inputs.contains(""), let axis = try? node.int("axis", default: 0) else { continue }
                assemblies[node.outputs[0]] = (axis, node.inputs)
            }
            self.assemblies = assemblies
            let watched = Set(assemblies.values.flatMap(\.parts))
            // A constant part is never produced during a run: its shape is its initializer's.
            let constantShapes = watched.reduce(into: [String: [Int]]()) { $0[$1] = graph.initializers[$1]?.shape }
            var layouts: [[String: PartLayout]] = []
            outputs = try (0..<dataset.count).map { index in
                var shapes = constantShapes
                let results = try dataset.withSample(index) {
                    try reference.run($0, hook: watched.isEmpty ? nil : { name, tensor in if watched.contains(name) { shapes[name] = tensor.shape } })
                }
                if let output = names.first(where: { results[$0].map { SampleValidation.firstNonFinite($0) != nil } ?? false }) {
                    throw try Self.nonFinite(output, reference: reference, dataset: dataset, sample: index)
                }
                var sampleLayouts: [String: PartLayout] = [:]
                for (output, assembly) in assemblies { sampleLayouts[output] = Self.layout(of: assembly, shapes: shapes, output: results[output]) }
                layouts.append(sampleLayouts)
                return results
            }
            self.layouts = layouts
        }

        /// Where the parts lie along the Concat's axis, when their sizes are known and add up to the
        /// output's size there. One part not seen (a constant the interpreter folded before the run)
        /// takes the rest of the axis.
        static func layout(of assembly: (axis: Int, parts: [String]), shapes: [String: [Int]], output: Tensor?) -> PartLayout? {
            guard let output else { return nil }
            let axis = assembly.axis < 0 ? assembly.axis + output.rank : assembly.axis
            guard (0..<output.rank).contains(axis) else { return nil }
            var sizes = assembly.parts.map { shapes[$0].flatMap { $0.count == output.rank ? $0[axis] : nil } }
            let unknown = sizes.indices.filter { sizes[$0] == nil }
            if unknown.count == 1 { sizes[unknown[0]] = output.shape[axis] - sizes.compactMap { $0 }.reduce(0, +) }
            let known = sizes.compactMap { $0 }
            guard known.count == sizes.count, known.allSatisfy({ $0 >= 0 }), known.reduce(0, +) == output.shape[axis] else { return nil }
            return PartLayout(axis: axis, sizes: known)
        }

        /// Outputs whose parts are known on every sample: only those get per-part figures, each over
        /// all the samples the whole output's is.
        var measurableAssemblies: Set<String> {
            Set(assemblies.keys.filter { output in layouts.allSatisfy { $0[output] != nil } })
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
        // Per assembled output, per part: signal and noise over the samples whose parts were seen.
        var partSignal: [String: [Double]] = [:], partNoise: [String: [Double]] = [:]
        var perSample: [Double] = []
        let assembled = reference.measurableAssemblies
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
                // Which part each index along the Concat's axis belongs to, and the stride of that axis.
                let layout = assembled.contains(output) ? reference.layouts[index][output] : nil
                let partOf = layout.map { $0.sizes.enumerated().flatMap { Array(repeating: $0.offset, count: $0.element) } } ?? []
                let inner = layout.map { float.shape[($0.axis + 1)...].reduce(1, *) } ?? 1
                var ps = [Double](repeating: 0, count: layout?.sizes.count ?? 0), pn = ps
                var s = 0.0, n = 0.0
                for i in 0..<y.count {
                    let a = Double(y[i]), d = a - Double(q[i])
                    s += a * a
                    n += d * d
                    if !partOf.isEmpty {
                        let k = partOf[(i / inner) % partOf.count]
                        ps[k] += a * a
                        pn[k] += d * d
                    }
                }
                signal[output, default: 0] += s
                noise[output, default: 0] += n
                if !ps.isEmpty {
                    partSignal[output] = zip(partSignal[output] ?? Array(repeating: 0, count: ps.count), ps).map(+)
                    partNoise[output] = zip(partNoise[output] ?? Array(repeating: 0, count: pn.count), pn).map(+)
                }
                if n > 0 { sampleWorst = min(sampleWorst, max(-300, 10 * log10(s / n))) }
            }
            perSample.append(sampleWorst)
        }
        var sqnr: [String: Double] = [:]
        for (name, s) in signal {
            sqnr[name] = TensorError.sqnr(signal: s, noise: noise[name] ?? 0)
        }
        var parts: [String: [Part]] = [:]
        for (output, signals) in partSignal {
            guard let assembly = reference.assemblies[output], let noises = partNoise[output] else { continue }
            parts[output] = zip(assembly.parts, zip(signals, noises)).map { Part(value: $0.0, sqnr: TensorError.sqnr(signal: $0.1.0, noise: $0.1.1)) }
        }
        let zero = signal.filter { $0.value == 0 }.map(\.key).sorted()
        return OutputAgreement(sqnr: sqnr, samples: dataset.count, perSample: perSample, zeroOutputs: zero, parts: parts)
    }

    /// The lowest SQNR over the outputs.
    public var worst: Double { sqnr.values.min() ?? .infinity }
}

#if canImport(Glibc)
import Glibc
#endif
