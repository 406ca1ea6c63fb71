import QConvertIR

/// Measures where a quantized model departs from its float original, value by value.
///
/// Accumulated error: both models run on the same samples and every quantized node's output is
/// compared (the whole quantized model up to that point). Local error: each quantized node alone
/// (its restricted plan; everything upstream float), compared at its own output; the graph is cut
/// after that output so only the nodes it depends on run.
public enum LayerwiseAnalysis {
    /// Accumulated error at each tracked value, and the fraction of each point's values that fell
    /// outside its quantization grid (saturation).
    public struct Accumulated: Sendable {
        public var errors: [String: TensorError]
        public var saturated: [String: Int]
        public var observed: [String: Int]
    }

    /// Compares `quantized` with `float` at `tracked` values on every sample of `samples`. A value
    /// the quantized model gives a Q/DQ pair is read after its DequantizeLinear (what its readers
    /// see); saturation counts the values entering its QuantizeLinear outside the grid.
    public static func accumulated(
        float: Model, quantized: Model, plan: QuantizationPlan, tracked: Set<String>, samples: CalibrationDataset, threads: Int
    ) throws -> Accumulated {
        let reference = try Interpreter(model: float, threads: threads)
        let test = try Interpreter(model: quantized, threads: threads)
        let probes = Probes(quantized: quantized.graph, plan: plan, tracked: tracked)
        var result = Accumulated(errors: [:], saturated: [:], observed: [:])
        for index in 0..<samples.count {
            let feeds = try samples.sample(index)
            var floats: [String: Tensor] = [:]
            _ = try reference.run(feeds) { name, tensor in
                if tracked.contains(name), tensor.dataType == .float { floats[name] = tensor }
            }
            _ = try test.run(feeds) { name, tensor in
                guard tensor.dataType == .float else { return }
                if let (value, grid) = probes.quantizeInput[name] {
                    let outside = tensor.withElements(of: Float.self) { $0.reduce(0) { $0 + (grid.contains($1) ? 0 : 1) } }
                    result.saturated[value, default: 0] += outside
                    result.observed[value, default: 0] += tensor.count
                }
                guard let value = probes.readAt[name], let expected = floats[value], expected.count == tensor.count else { return }
                expected.withElements(of: Float.self) { r in
                    tensor.withElements(of: Float.self) { t in result.errors[value, default: TensorError()].add(reference: r, test: t) }
                }
            }
        }
        return result
    }

    /// Where to look at tracked values inside a quantized graph.
    struct Probes {
        /// Quantized-graph value name -> the tracked value it shows.
        var readAt: [String: String] = [:]
        /// Name of each QuantizeLinear input -> (tracked value, its grid's real range).
        var quantizeInput: [String: (String, ClosedRange<Float>)] = [:]

        init(quantized graph: Graph, plan: QuantizationPlan, tracked: Set<String>) {
            let producers = graph.producers()
            for value in tracked { readAt[value] = value }
            for node in graph.nodes where node.opType == "DequantizeLinear" {
                guard let q = producers[node.inputs[0]], graph.nodes[q].opType == "QuantizeLinear" else { continue }
                let source = graph.nodes[q].inputs[0]
                // Usually v -> Q -> DQ -> v_dequantized; for a graph output, v_float -> Q -> DQ -> v.
                let value = tracked.contains(node.outputs[0]) ? node.outputs[0] : source
                guard tracked.contains(value), let params = plan.points[value] else { continue }
                if value == source { readAt.removeValue(forKey: source) }
                readAt[node.outputs[0]] = value
                quantizeInput[source] = (value, params.coveredRange)
            }
        }
    }

    /// Error each quantized node adds on its own, at its output, with float inputs.
    public static func local(
        float: Model, plan: QuantizationPlan, units: [FusedUnit], samples: CalibrationDataset, threads: Int
    ) throws -> [String: TensorError] {
        let reference = try Interpreter(model: float, threads: threads)
        var results: [String: TensorError] = [:]
        for decision in plan.nodes where decision.quantized {
            guard let output = decision.output else { continue }
            var single = float
            single.graph.outputs = [ValueInfo(name: output)]
            let context = PassContext()
            context.units = units
            _ = try PassManager(printer: { _ in }).run(
                [MaterializeQDQ(plan: plan.restricted(to: [decision.node])), EliminateDeadNodes()], on: &single, context: context)
            let test = try Interpreter(model: single, threads: threads)
            var error = TensorError()
            for index in 0..<samples.count {
                let feeds = try samples.sample(index)
                let expected = try reference.run(feeds, keep: [output])[output]
                let actual = try test.run(feeds)[output]
                guard let expected, let actual, expected.count == actual.count else { continue }
                expected.withElements(of: Float.self) { r in actual.withElements(of: Float.self) { t in error.add(reference: r, test: t) } }
            }
            results[decision.node] = error
        }
        return results
    }
}
