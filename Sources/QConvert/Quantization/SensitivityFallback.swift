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
/// of those kept, and another pass tries them. When no layer can join (the limit is reached, or
/// none helps), the best exchange of one kept layer for one of the others that gained most when
/// last measured is made if it raises the output SQNR, and layers may join again after it: layers
/// that help together but little alone are found that way (ppocrv4_rec: 29.6 dB with 4 layers
/// float, 30.1 after exchanging one).
///
/// All of it is measured on the held-out samples, which the final SQNR is also measured on: the more
/// it searches, the more that figure flatters the model (ppocrv4_rec at 30.1 dB there reads 19.4 dB
/// on its eval split).
public enum SensitivityFallback {
    public struct Step: Codable, Sendable, Equatable {
        /// The node kept float at this step.
        public var node: String
        /// For an exchange: the node it replaces, quantized again.
        public var replaces: String?
        /// Output SQNR gain measured for this node when its pass began: alone in the first pass, on
        /// top of the nodes kept before in later ones; for an exchange, what it gained.
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

        /// The nodes kept float in the end, in the order they joined.
        public var floatNodes: [String] {
            steps.reduce(into: [String]()) { nodes, step in
                nodes.removeAll { $0 == step.replaces }
                nodes.append(step.node)
            }
        }

        /// Why the target was not reached, for the summary; nil when it was.
        public var shortfall: String? {
            guard !(finalSQNR >= targetSQNR) else { return nil }
            if finalSQNR.isNaN { return "the output SQNR could not be measured (not a number)" }
            if candidates == 0 { return "no quantized compute layer to keep float" }
            if floatNodes.count >= maxFloat { return "stopped at the --max-float-layers limit (\(maxFloat)); no exchange of a float layer raised the output SQNR" }
            return "no other layer kept float, nor any exchange, raised the output SQNR (all \(candidates) candidates tried)"
        }
    }

    /// The layers it may keep float: quantized nodes that own a weight (compute ops), not fused into another.
    public static func candidates(_ plan: QuantizationPlan) -> [String] {
        plan.nodes.filter { $0.quantized && $0.fusedInto == nil && plan.weights[$0.node] != nil }.map(\.node)
    }

    /// Builds and measures quantized models for plans; the caller supplies how (materialise + run).
    public typealias Measure = (QuantizationPlan) throws -> Double

    /// Progress of one pass: "sensitivity" (measuring candidates to add) or "exchanges", done of total.
    public typealias Progress = (_ phase: String, _ done: Int, _ total: Int) -> Void

    /// Layers tried as the incoming side of an exchange: those with the largest gains when last
    /// measured, so a round costs at most this many measurements per kept layer.
    static let exchangeCandidates = 8

    public static func run(
        plan: QuantizationPlan, targetSQNR: Double, maxFloat: Int, measure: Measure, progress: Progress? = nil
    ) throws -> (QuantizationPlan, Result) {
        let candidates = Self.candidates(plan)
        let initial = try measure(plan)
        var result = Result(initialSQNR: initial, finalSQNR: initial, targetSQNR: targetSQNR, steps: [], candidates: candidates.count,
                            maxFloat: maxFloat)
        guard initial < targetSQNR, maxFloat > 0 else { return (plan, result) }
        var floatSet = Set<String>()
        var current = plan
        var lastGains: [String: Double] = [:]
        var exchanges = 0
        repeat {
            // Each pass measures the gain of every remaining candidate on top of the layers kept so
            // far (the first pass: alone), then tries them best first. A layer that did nothing alone
            // can help once others are float (ppocrv4_rec's first pass once stopped at 24.8 dB with 9).
            while result.finalSQNR < targetSQNR, floatSet.count < maxFloat {
                let remaining = candidates.filter { !floatSet.contains($0) }
                let kept = floatSet, base = result.finalSQNR
                var gains: [(node: String, gain: Double, sqnr: Double)] = []
                for (index, node) in remaining.enumerated() {
                    let sqnr = try measure(plan.keepingFloat(kept.union([node])))
                    gains.append((node, sqnr - base, sqnr))
                    lastGains[node] = sqnr - base
                    progress?("sensitivity", index + 1, remaining.count)
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
            // No layer can join: exchange one kept layer for one of the most promising others, the
            // best exchange if it raises the SQNR; then layers may join again. At most `maxFloat`
            // exchanges in all, so the search ends in bounded time whatever the measurements.
            guard result.finalSQNR < targetSQNR, !floatSet.isEmpty, exchanges < maxFloat else { break }
            let inside = floatSet.sorted()
            let outside = candidates.filter { !floatSet.contains($0) }
                .sorted { (lastGains[$0] ?? -.infinity, $1) > (lastGains[$1] ?? -.infinity, $0) }.prefix(exchangeCandidates)
            var best: (out: String, node: String, sqnr: Double)?, done = 0
            for out in inside {
                for node in outside {
                    let sqnr = try measure(plan.keepingFloat(floatSet.subtracting([out]).union([node])))
                    if sqnr > (best?.sqnr ?? result.finalSQNR) { best = (out, node, sqnr) }
                    done += 1
                    progress?("exchanges", done, inside.count * outside.count)
                }
            }
            guard let best else { break }
            floatSet.remove(best.out)
            floatSet.insert(best.node)
            current = plan.keepingFloat(floatSet)
            result.steps.append(Step(node: best.node, replaces: best.out, gain: best.sqnr - result.finalSQNR, sqnr: best.sqnr))
            result.finalSQNR = best.sqnr
            exchanges += 1
        } while result.finalSQNR < targetSQNR
        return (current, result)
    }
}
