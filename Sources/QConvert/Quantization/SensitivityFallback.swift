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
/// Besides single layers, the search tries groups (`inputGroups`): the model's first layers with
/// every value between them kept float. Keeping one compute layer float leaves its output quantized
/// whenever its readers are, and the errors of the first grids can cancel: on yolov8n_320 no one of
/// its first layers gains alone, while the group to depth 3 (4 layers) takes the eval split from
/// 35.0 to 39.8 dB (detection F1 0.916 to 0.988).
///
/// All of it is measured on the held-out samples, which the final SQNR is also measured on: the more
/// it searches, the more that figure flatters the model (ppocrv4_rec at 30.1 dB there reads 19.4 dB
/// on its eval split).
public enum SensitivityFallback {
    public struct Step: Codable, Sendable, Equatable {
        /// The node kept float at this step, or a group's name.
        public var node: String
        /// For a group: its compute layers, which count against the limit (absent for one node).
        public var nodes: [String]?
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
        /// How many compute nodes were candidates (with those kept float before).
        public var candidates: Int
        /// The most layers it could keep float (`--max-float-layers`).
        public var maxFloat: Int
        /// Compute layers already float when the search began (the first layers the default run
        /// kept float): they count against the limit.
        public var keptBefore: [String] = []

        /// The compute layers kept float in the end, in the order they joined (those kept before first).
        public var floatNodes: [String] {
            let kept = steps.reduce(into: [(name: String, layers: [String])]()) { kept, step in
                kept.removeAll { $0.name == step.replaces }
                kept.append((step.node, step.nodes ?? [step.node]))
            }
            var seen = Set<String>()
            return (keptBefore + kept.flatMap(\.layers)).filter { seen.insert($0).inserted }
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

    /// Nodes tried as one candidate.
    public struct Group: Sendable, Equatable {
        public var name: String
        /// Every quantized node it keeps float: its compute layers and the ops between them.
        public var nodes: Set<String>
        /// Its compute layers (candidates), in graph order: what counts against the limit.
        public var layers: [String]
    }

    /// The model's first layers as groups, one per depth 1...`maxDepth`: the quantized nodes that
    /// write or read a value at most that many compute layers from the graph's inputs (counted on
    /// the deepest path), so every such value stays float; the layers reading them compute in float
    /// and quantize their own outputs. A value no compute layer lies before counts only on the way
    /// into a first layer: an attention mask or an image-size input read deep in the model, and
    /// what is computed from it alone, is not the model's input end. A group with the same layers as
    /// a shallower one is left out.
    public static func inputGroups(_ plan: QuantizationPlan, graph: Graph, maxDepth: Int = 3) -> [Group] {
        let layers = Set(candidates(plan))
        var depth: [String: Int] = [:]
        var producers: [String: Node] = [:]
        for input in graph.inputs where graph.initializers[input.name] == nil { depth[input.name] = 0 }
        for node in graph.nodes {
            guard let deepest = node.inputs.compactMap({ depth[$0] }).max() else { continue }
            for output in node.outputs where !output.isEmpty {
                depth[output] = deepest + (layers.contains(node.displayName) ? 1 : 0)
                producers[output] = node
            }
        }
        // Depth-0 values that lead into a first layer (through ops before it), walked back from its inputs.
        var entry = Set<String>()
        var pending = graph.nodes.filter { layers.contains($0.displayName) }.flatMap(\.inputs).filter { depth[$0] == 0 }
        while let value = pending.popLast() {
            guard entry.insert(value).inserted else { continue }
            pending += (producers[value]?.inputs ?? []).filter { depth[$0] == 0 }
        }
        var groups: [Group] = []
        for k in 1...max(1, maxDepth) {
            let shallow = { (value: String) in depth[value].map { $0 == 0 ? entry.contains(value) : $0 <= k } ?? false }
            let members = plan.nodes.filter { decision in
                decision.quantized && decision.fusedInto == nil && (decision.inputs.contains(where: shallow) || decision.output.map(shallow) == true)
            }.map(\.node)
            let groupLayers = members.filter(layers.contains)
            guard !groupLayers.isEmpty, groupLayers != groups.last?.layers else { continue }
            groups.append(Group(name: "the layers to depth \(k) from the inputs", nodes: Set(members), layers: groupLayers))
        }
        return groups
    }

    /// Builds and measures quantized models for plans; the caller supplies how (materialise + run).
    public typealias Measure = (QuantizationPlan) throws -> Double

    /// Progress of one pass: "sensitivity" (measuring candidates to add) or "exchanges", done of total.
    public typealias Progress = (_ phase: String, _ done: Int, _ total: Int) -> Void

    /// Layers tried as the incoming side of an exchange: those with the largest gains when last
    /// measured, so a round costs at most this many measurements per kept layer.
    static let exchangeCandidates = 8

    public static func run(
        plan: QuantizationPlan, groups: [Group] = [], keptBefore: [String] = [], targetSQNR: Double, maxFloat: Int, measure: Measure,
        progress: Progress? = nil
    ) throws -> (QuantizationPlan, Result) {
        let candidates = Self.candidates(plan)
        // Each move is a candidate layer alone or a group; sets of moves are kept by index.
        let moves = candidates.map { Group(name: $0, nodes: [$0], layers: [$0]) } + groups
        let initial = try measure(plan)
        var result = Result(initialSQNR: initial, finalSQNR: initial, targetSQNR: targetSQNR, steps: [], candidates: candidates.count + keptBefore.count,
                            maxFloat: maxFloat, keptBefore: keptBefore)
        guard initial < targetSQNR, maxFloat > keptBefore.count else { return (plan, result) }
        func nodes(_ set: Set<Int>) -> Set<String> { set.reduce(into: Set<String>()) { $0.formUnion(moves[$1].nodes) } }
        func floatPlan(_ set: Set<Int>) -> QuantizationPlan { plan.keepingFloat(nodes(set)) }
        func layerCount(_ set: Set<Int>) -> Int { set.reduce(into: Set<String>()) { $0.formUnion(moves[$1].layers) }.count + keptBefore.count }
        func step(_ move: Int, replacing: Int? = nil, gain: Double, sqnr: Double) -> Step {
            Step(node: moves[move].name, nodes: move < candidates.count ? nil : moves[move].layers, replaces: replacing.map { moves[$0].name },
                 gain: gain, sqnr: sqnr)
        }
        var floatSet = Set<Int>()
        var current = plan
        var lastGains: [Int: Double] = [:]
        var exchanges = 0
        repeat {
            // Each pass measures the gain of every remaining candidate on top of the layers kept so
            // far (the first pass: alone), then tries them best first. A layer that did nothing alone
            // can help once others are float (ppocrv4_rec's first pass once stopped at 24.8 dB with 9).
            while result.finalSQNR < targetSQNR, layerCount(floatSet) < maxFloat {
                // Moves the float set already holds whole (a layer inside a kept group) change nothing.
                let floatNodes = nodes(floatSet)
                let remaining = moves.indices.filter {
                    !floatSet.contains($0) && !moves[$0].nodes.isSubset(of: floatNodes) && layerCount(floatSet.union([$0])) <= maxFloat
                }
                let kept = floatSet, base = result.finalSQNR
                var gains: [(move: Int, gain: Double, sqnr: Double)] = []
                for (index, move) in remaining.enumerated() {
                    let sqnr = try measure(floatPlan(kept.union([move])))
                    gains.append((move, sqnr - base, sqnr))
                    lastGains[move] = sqnr - base
                    progress?("sensitivity", index + 1, remaining.count)
                }
                gains.sort { ($0.gain, moves[$1.move].name) > ($1.gain, moves[$0.move].name) }
                for (move, gain, measured) in gains where gain > 0 && result.finalSQNR < targetSQNR {
                    guard !floatSet.contains(move), layerCount(floatSet.union([move])) <= maxFloat else { continue }
                    // Until one joins, the float set is the one its gain was measured on.
                    let sqnr = floatSet == kept ? measured : try measure(floatPlan(floatSet.union([move])))
                    guard sqnr > result.finalSQNR else { continue }
                    floatSet.insert(move)
                    current = floatPlan(floatSet)
                    result.steps.append(step(move, gain: gain, sqnr: sqnr))
                    result.finalSQNR = sqnr
                }
                if floatSet == kept { break }
            }
            // No layer can join: exchange one kept layer for one of the most promising others, the
            // best exchange if it raises the SQNR; then layers may join again. At most `maxFloat`
            // exchanges in all, so the search ends in bounded time whatever the measurements.
            guard result.finalSQNR < targetSQNR, !floatSet.isEmpty, exchanges < maxFloat else { break }
            let inside = floatSet.sorted { moves[$0].name < moves[$1].name }
            let floatNodes = nodes(floatSet)
            let outside = moves.indices.filter { !floatSet.contains($0) && !moves[$0].nodes.isSubset(of: floatNodes) }
                .sorted { (lastGains[$0] ?? -.infinity, moves[$1].name) > (lastGains[$1] ?? -.infinity, moves[$0].name) }.prefix(exchangeCandidates)
            var best: (out: Int, move: Int, sqnr: Double)?, done = 0
            for out in inside {
                for move in outside {
                    let exchanged = floatSet.subtracting([out]).union([move])
                    if layerCount(exchanged) <= maxFloat {
                        let sqnr = try measure(floatPlan(exchanged))
                        if sqnr > (best?.sqnr ?? result.finalSQNR) { best = (out, move, sqnr) }
                    }
                    done += 1
                    progress?("exchanges", done, inside.count * outside.count)
                }
            }
            guard let best else { break }
            floatSet.remove(best.out)
            floatSet.insert(best.move)
            current = floatPlan(floatSet)
            result.steps.append(step(best.move, replacing: best.out, gain: best.sqnr - result.finalSQNR, sqnr: best.sqnr))
            result.finalSQNR = best.sqnr
            exchanges += 1
        } while result.finalSQNR < targetSQNR
        return (current, result)
    }
}
