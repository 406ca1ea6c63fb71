import QConvertIR

/// Keeps the layers that cost the most accuracy in float until the model's output SQNR reaches a
/// target (`--target-sqnr DB`), at most `maxFloat` of them.
///
/// Sensitivity of a layer = output SQNR gain when that layer alone is float (everything else
/// quantized), measured on held-out samples. Layers are tried in order of that gain; one joins the
/// float set only if the whole model, re-measured with it, beats the best so far. Gains do not add
/// up: on ppocrv4_rec keeping p2o.Conv.7 float gives +6.8 dB, adding p2o.Conv.17 (+6.5 dB alone)
/// then loses 5 dB, so a candidate that does not help is passed over rather than kept. When a pass
/// ends short of the target with room left, the remaining layers' gains are measured again on top
/// of those kept, and another pass tries them.
public enum SensitivityFallback {
    public struct Step: Codable, Sendable, Equatable {
        /// The node kept float at this step.
        public var node: String
        /// Output SQNR gain measured for this node when its pass began: alone in the first pass, on
        /// top of the nodes kept before in later ones.
        public var gain: Double
        /// Worst output SQNR with every node so far kept float.
        public var sqnr: Double
    }

    public struct Result: Codable, Sendable {
        public var initialSQNR: Double
        public var finalSQNR: Double
        public var targetSQNR: Double
        public var steps: [Step]
        /// How many compute nodes were candidates.
        public var candidates: Int
        /// The most layers it could keep float (`--max-float-layers`).
        public var maxFloat: Int

        /// Why the target was not reached, for the summary; nil when it was.
        public var shortfall: String? {
            guard !(finalSQNR >= targetSQNR) else { return nil }
            if finalSQNR.isNaN { return "the output SQNR could not be measured (not a number)" }
            if candidates == 0 { return "no quantized compute layer to keep float" }
            if steps.count >= maxFloat { return "stopped at the --max-float-layers limit (\(maxFloat))" }
            return "no other layer kept float raised the output SQNR (all \(candidates) candidates tried)"
        }
    }

    /// The layers it may keep float: quantized nodes that own a weight (compute ops), not fused into another.
    public static func candidates(_ plan: QuantizationPlan) -> [String] {
        plan.nodes.filter { $0.quantized && $0.fusedInto == nil && plan.weights[$0.node] != nil }.map(\.node)
    }

    /// Builds and measures quantized models for plans; the caller supplies how (materialise + run).
    public typealias Measure = (QuantizationPlan) throws -> Double

    public static func run(
        plan: QuantizationPlan, targetSQNR: Double, maxFloat: Int, measure: Measure, progress: ((Int, Int) -> Void)? = nil
    ) throws -> (QuantizationPlan, Result) {
        let candidates = Self.candidates(plan)
        let initial = try measure(plan)
        var result = Result(initialSQNR: initial, finalSQNR: initial, targetSQNR: targetSQNR, steps: [], candidates: candidates.count,
                            maxFloat: maxFloat)
        guard initial < targetSQNR, maxFloat > 0 else { return (plan, result) }
        var floatSet = Set<String>()
        var current = plan
        // Each pass measures the gain of every remaining candidate on top of the layers kept so far
        // (the first pass: alone), then tries them best first. A layer that did nothing alone can help
        // once others are float (ppocrv4_rec's first pass stopped at 24.8 dB with 9 layers float).
        while result.finalSQNR < targetSQNR, floatSet.count < maxFloat {
            let remaining = candidates.filter { !floatSet.contains($0) }
            let kept = floatSet, base = result.finalSQNR
            var gains: [(node: String, gain: Double, sqnr: Double)] = []
            for (index, node) in remaining.enumerated() {
                let sqnr = try measure(plan.keepingFloat(kept.union([node])))
                gains.append((node, sqnr - base, sqnr))
                progress?(index + 1, remaining.count)
            }
            gains.sort { ($0.gain, $1.node) > ($1.gain, $0.node) }
            for (node, gain, measured) in gains where gain > 0 && floatSet.count < maxFloat && result.finalSQNR < targetSQNR {
                let candidate = plan.keepingFloat(floatSet.union([node]))
                // Until one joins, the float set is the one its gain was measured on.
                let sqnr = floatSet == kept ? measured : try measure(candidate)
                guard sqnr > result.finalSQNR else { continue }
                floatSet.insert(node)
                current = candidate
                result.steps.append(Step(node: node, gain: gain, sqnr: sqnr))
                result.finalSQNR = sqnr
            }
            if floatSet == kept { break }
        }
        return (current, result)
    }
}
