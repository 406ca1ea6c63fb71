import QConvertIR

/// Decides what to quantize from the ops' declared rules, the fused units, the calibrated ranges and
/// the options, and computes every quantization parameter. No graph surgery here (see MaterializeQDQ).
///
/// Default policy: compute-heavy ops (Conv, ConvTranspose, Gemm, MatMul by a constant) are quantized,
/// with a fused Relu/Clip setting their output range; ops that only move values (MaxPool, Reshape,
/// Transpose...) join a quantized chain at no cost in accuracy; arithmetic ops stay float. A
/// compute node's output that is a model output stays float.
public struct QuantizationPlanner {
    public let model: Model
    public let units: [FusedUnit]
    /// Calibrated [lower, upper] per float activation.
    public let ranges: [String: ClosedRange<Float>]
    public let options: QuantizationOptions

    public init(model: Model, units: [FusedUnit], ranges: [String: ClosedRange<Float>], options: QuantizationOptions) {
        self.model = model
        self.units = units
        self.ranges = ranges
        self.options = options
    }

    public func plan() throws -> QuantizationPlan {
        let graph = model.graph
        let constants = Set(graph.initializers.keys)
        let consumers = graph.consumers()
        let order = try graph.topologicalOrder()
        var rules: [Int: QuantizationRule] = [:]
        for index in order {
            let node = graph.nodes[index]
            guard let op = OpRegistry.lookup(type: node.opType, domain: node.domain) as? any Quantizable.Type else { continue }
            rules[index] = try op.quantizationRule(for: node, isConstant: { constants.contains($0) })
        }
        // Which node produces each unit's inner values: they are absorbed into the unit's head.
        var unitByInner: [String: FusedUnit] = [:]
        for unit in units { for value in unit.values { unitByInner[value] = unit } }

        var decisions: [Int: QuantizationPlan.NodeDecision] = [:]
        var plan = QuantizationPlan()
        var points: [String: PointSource] = [:]
        func decide(_ index: Int, _ quantized: Bool, _ reason: String, inputs: [String] = [], output: String? = nil) {
            let node = graph.nodes[index]
            decisions[index] = .init(node: node.displayName, opType: node.opType, quantized: quantized, reason: reason,
                                     inputs: inputs, output: output)
        }

        // 1. Compute nodes: which are quantized, then their input and output pairs.
        var computeNodes: [Int] = []
        for index in order {
            let node = graph.nodes[index]
            guard let rule = rules[index], case .compute(let weight, _, _) = rule.kind else { continue }
            let settings = options.resolved(for: node)
            guard settings.quantize else { decide(index, false, "excluded by options"); continue }
            guard graph.initializers[node.inputs[weight]]?.dataType == .float else { decide(index, false, "weight is not a float constant"); continue }
            if options.mode == .static {
                guard rule.activationInputs.allSatisfy({ ranges[node.inputs[$0]] != nil }) else {
                    decide(index, false, "input was not observed during calibration"); continue
                }
            }
            computeNodes.append(index)
        }
        // Weight-only and dynamic: weights only; activations stay float in the file.
        if options.mode != .static {
            for index in computeNodes {
                let node = graph.nodes[index], settings = options.resolved(for: node)
                decide(index, true, options.mode == .dynamic ? "int8 weights, activations quantized at run time" : "int8 weights, float compute")
                plan.weights[node.displayName] = .init(bits: settings.weightBits, perChannel: settings.perChannel)
            }
            for index in order where decisions[index] == nil {
                let node = graph.nodes[index]
                decide(index, false, rules[index] == nil ? "no quantization rule for \(node.opType)" : "\(options.mode.rawValue) mode quantizes weights of compute ops only")
            }
            plan.nodes = graph.nodes.indices.map { decisions[$0]! }
            return plan
        }
        let downstream = DownstreamCompute(graph: graph, consumers: consumers, computeNodes: Set(computeNodes))
        for index in computeNodes {
            let node = graph.nodes[index], rule = rules[index]!
            let settings = options.resolved(for: node)
            let output = node.outputs[0]
            let unit = units.first { $0.kind == .computeActivation && $0.values.first == output }
            let unitOutput = unit?.output ?? output
            let activation = unit.flatMap { graph.producers()[$0.output] }.map { graph.nodes[$0].opType }
            let inputs = rule.activationInputs.map { node.inputs[$0] }
            // An output pair only where a quantized compute node reads the value, directly or through
            // float ops: after the last compute layers (detection heads, classifier logits) values
            // stay float, so no rounding is added where nothing downstream runs in int8 anyway.
            let quantizedOutput = !graph.isOutput(unitOutput) && ranges[unitOutput] != nil
                && downstream.reaches(unitOutput) ? unitOutput : nil
            decide(index, true, activation.map { "int8, fused with \($0)" } ?? "int8", inputs: inputs, output: quantizedOutput)
            plan.weights[node.displayName] = .init(bits: settings.weightBits, perChannel: settings.perChannel)
            for input in inputs { points[input] = points[input] ?? .observed }
            if let quantizedOutput { points[quantizedOutput] = .observed }
        }
        // Nodes inside units: a fused activation follows its compute node; SiLU internals run in
        // float between the unit's quantized input and output.
        let producers = graph.producers()
        for index in order where decisions[index] == nil {
            guard let output = graph.nodes[index].outputs.first, let unit = unitByInner[output] else { continue }
            switch unit.kind {
            case .computeActivation:
                if let head = producers[unit.values[0]], decisions[head]?.quantized == true {
                    decide(index, true, "fused into \(graph.nodes[head].displayName)")
                    decisions[index]?.fusedInto = graph.nodes[head].displayName
                }
            case .silu:
                decide(index, false, "inside a \(unit.kind.rawValue) unit, computed in float between quantized neighbours")
            }
        }
        // 2. Pass-through ops join a chain whose input is quantized and whose output feeds a quantized
        //    value; iterate so chains (Reshape -> Transpose) join as a whole.
        var changed = true
        while changed {
            changed = false
            for index in order where decisions[index] == nil {
                let node = graph.nodes[index]
                guard let rule = rules[index], rule.kind == .passThrough, let input = node.inputs.first, points[input] != nil,
                      let output = node.outputs.first, !graph.isOutput(output), options.resolved(for: node).quantize
                else { continue }
                let feedsQuantized = (consumers[output] ?? []).contains { c in
                    let consumer = graph.nodes[c]
                    if decisions[c]?.quantized == true && consumer.inputs.firstIndex(of: output).map({ rules[c]?.activationInputs.contains($0) ?? false }) == true { return true }
                    return rules[c]?.kind == .passThrough && decisions[c] == nil
                }
                guard feedsQuantized || points[output] != nil else { continue }
                decide(index, true, "int8, reuses its input's parameters", inputs: [input], output: output)
                points[output] = .inherited(from: input)
                changed = true
            }
        }
        // Pass-through nodes that joined but whose chain ended nowhere quantized are harmless: their
        // output pair reuses the input's parameters, so it is exact.
        for index in order where decisions[index] == nil {
            let node = graph.nodes[index]
            if let rule = rules[index] {
                switch rule.kind {
                case .passThrough: decide(index, false, "input not quantized")
                default: decide(index, false, "arithmetic op kept float by default")
                }
            } else {
                decide(index, false, OpRegistry.lookup(type: node.opType, domain: node.domain) == nil ? "op not supported by qconvert" : "no quantization rule for \(node.opType)")
            }
        }
        plan.nodes = graph.nodes.indices.map { decisions[$0]! }
        plan.points = try parameters(for: points, graph: graph)
        return plan
    }

    /// Where a point's parameters come from.
    enum PointSource: Equatable {
        case observed
        case inherited(from: String)
    }

    /// Parameters for every point, in topological order so inherited ones find their source.
    private func parameters(for points: [String: PointSource], graph: Graph) throws -> [String: QuantParams] {
        var result: [String: QuantParams] = [:]
        func resolve(_ value: String, depth: Int = 0) throws -> QuantParams {
            if let known = result[value] { return known }
            guard depth < 10_000 else { throw QConvertError("quantization parameters of '\(value)' depend on themselves") }
            let params: QuantParams
            switch points[value] {
            case .inherited(let source)?:
                params = try resolve(source, depth: depth + 1)
            default:
                guard var range = ranges[value] else { throw QConvertError("no calibrated range for '\(value)'") }
                if let unit = units.first(where: { $0.output == value }) {
                    if let lower = unit.lowerBound { range = max(range.lowerBound, lower)...max(range.upperBound, lower) }
                    if let upper = unit.upperBound { range = min(range.lowerBound, upper)...min(range.upperBound, upper) }
                }
                params = QuantParams.covering(lower: range.lowerBound, upper: range.upperBound,
                                              type: options.activationType, symmetric: options.symmetricActivations)
            }
            result[value] = params
            return params
        }
        for value in points.keys.sorted() { _ = try resolve(value) }
        return result
    }
}
