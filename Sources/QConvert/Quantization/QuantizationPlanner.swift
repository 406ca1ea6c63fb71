import QConvertIR

/// Decides what to quantize from the ops' declared rules, the fused units, the calibrated ranges and
/// the options, and computes every quantization parameter. No graph surgery here (see MaterializeQDQ).
///
/// Default policy: compute-heavy ops (Conv, ConvTranspose, Gemm, MatMul by a constant) are quantized,
/// with a fused Relu/Clip setting their output range; ops that only move values (MaxPool, Reshape,
/// Transpose...) join a quantized chain at no cost in accuracy; an Add or Mul of two activations
/// joins where its output is quantized anyway (`integerArithmetic`); other arithmetic stays float. A
/// compute node's output that is a model output stays float.
public struct QuantizationPlanner {
    public let model: Model
    public let units: [FusedUnit]
    /// Calibrated [lower, upper] per float activation.
    public let ranges: [String: ClosedRange<Float>]
    public let options: QuantizationOptions
    /// Outputs of last compute layers (see `QuantizationPlan.terminalOutputs`) to quantize anyway.
    public let terminalOutputs: Set<String>

    public init(model: Model, units: [FusedUnit], ranges: [String: ClosedRange<Float>], options: QuantizationOptions,
                terminalOutputs: Set<String> = []) {
        self.model = model
        self.units = units
        self.ranges = ranges
        self.options = options
        self.terminalOutputs = terminalOutputs
    }

    public func plan() throws -> QuantizationPlan {
        let graph = model.graph
        let constants = Set(graph.initializers.keys)
        let consumers = graph.consumers()
        let order = try graph.topologicalOrder()
        var rules: [Int: QuantizationRule] = [:]
        for index in order {
            rules[index] = try QuantizationRule.of(graph.nodes[index], isConstant: { constants.contains($0) })
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
            guard let w = graph.initializers[node.inputs[weight]], w.dataType == .float else { decide(index, false, "weight is not a float constant"); continue }
            // A MatMul's constant B has output channels to scale along only as a matrix: a vector is
            // summed over, and a stack of matrices ([2, K, N]) is batched, which the integer ops
            // ONNX Runtime fuses to (per-column scales of one [K, N] matrix) do not express.
            guard node.opType != "MatMul" || w.rank == 2 else { decide(index, false, "weight is not a matrix (rank \(w.rank))"); continue }
            if options.mode == .static {
                guard rule.activationInputs.allSatisfy({ ranges[node.inputs[$0]] != nil }) else {
                    decide(index, false, "input was not observed during calibration"); continue
                }
            }
            computeNodes.append(index)
        }
        // Ops whose weights are only stored in int8, in every mode.
        for index in order {
            let node = graph.nodes[index]
            guard let rule = rules[index], case .storedWeights(let inputs, _) = rule.kind else { continue }
            let settings = options.resolved(for: node)
            guard settings.quantize else { decide(index, false, "excluded by options"); continue }
            guard inputs.allSatisfy({ graph.initializers[node.inputs[$0]]?.dataType == .float }) else {
                decide(index, false, "weight is not a float constant"); continue
            }
            decide(index, true, "int8 weights, float compute")
            plan.weights[node.displayName] = .init(bits: settings.weightBits, perChannel: settings.perChannel)
        }
        // Weight-only and dynamic: weights only; activations stay float in the file.
        if options.mode != .static {
            for index in computeNodes {
                let node = graph.nodes[index], settings = options.resolved(for: node)
                let integer = options.mode == .dynamic && MaterializeDynamic.hasIntegerForm(node)
                decide(index, true, integer ? "int8 weights, activations quantized at run time" : "int8 weights, float compute")
                plan.weights[node.displayName] = .init(bits: settings.weightBits, perChannel: settings.perChannel)
            }
            for index in order where decisions[index] == nil {
                let node = graph.nodes[index]
                decide(index, false, rules[index].map { $0.floatReason ?? "\(options.mode.rawValue) mode quantizes weights of compute ops only" }
                                     ?? "no quantization rule for \(node.opType)")
            }
            plan.nodes = graph.nodes.indices.map { decisions[$0]! }
            return plan
        }
        let downstream = DownstreamCompute(graph: graph, consumers: consumers, computeNodes: Set(computeNodes))
        let producers = graph.producers()
        for index in computeNodes {
            let node = graph.nodes[index], rule = rules[index]!
            let settings = options.resolved(for: node)
            let output = node.outputs[0]
            let unit = units.first { $0.kind == .computeActivation && $0.values.first == output }
            let unitOutput = unit?.output ?? output
            let activation = unit.flatMap { producers[$0.output] }.map { graph.nodes[$0].opType }
            let inputs = rule.activationInputs.map { node.inputs[$0] }
            // An output pair only where a quantized compute node reads the value, directly or through
            // float ops: after the last compute layers (detection heads, classifier logits) values
            // stay float, so no rounding is added where nothing downstream runs in int8 anyway, unless
            // the caller measured that it costs nothing (terminalOutputs). Only layers whose input is
            // bounded by construction (a Softmax's or Sigmoid's output) are candidates: their output
            // range generalises beyond the calibration samples, where logits' ranges need not.
            let quantizable = !graph.isOutput(unitOutput) && ranges[unitOutput] != nil
            let terminal = quantizable && !downstream.reaches(unitOutput)
            let boundedInput = inputs.allSatisfy { input in
                guard let p = producers[input], case .fixedRange? = rules[p]?.kind else { return false }
                return true
            }
            if terminal && boundedInput { plan.terminalOutputs.append(unitOutput) }
            let quantizedOutput = quantizable && (!terminal || boundedInput && terminalOutputs.contains(unitOutput)) ? unitOutput : nil
            decide(index, true, activation.map { "int8, fused with \($0)" } ?? "int8", inputs: inputs, output: quantizedOutput)
            plan.weights[node.displayName] = .init(bits: settings.weightBits, perChannel: settings.perChannel)
            for input in inputs { points[input] = points[input] ?? .observed }
            if let quantizedOutput { points[quantizedOutput] = .observed }
        }
        // SiLU units whose input is quantized are quantized inside too: the Sigmoid's output (in
        // [0, 1] by definition) and the product, so ONNX Runtime runs them as QLinearSigmoid +
        // QLinearMul instead of dequantizing, running two float ops and quantizing again (yolov8n:
        // 58 such units, a fifth of its latency when left in float).
        var integerSiLU = Set<String>()
        for unit in units where unit.kind == .silu && points[unit.input] != nil && ranges[unit.output] != nil {
            let inner = unit.values.compactMap { producers[$0] }
            guard !unit.values.contains(where: graph.isOutput), inner.allSatisfy({ options.resolved(for: graph.nodes[$0]).quantize }) else { continue }
            points[unit.values[0]] = .fixed(lower: 0, upper: 1)
            points[unit.output] = points[unit.output] ?? .observed
            integerSiLU.insert(unit.output)
        }
        // Nodes inside units: a fused activation follows its compute node; other SiLU internals run
        // in float between the unit's quantized input and output.
        for index in order where decisions[index] == nil {
            guard let output = graph.nodes[index].outputs.first, let unit = unitByInner[output] else { continue }
            switch unit.kind {
            case .computeActivation:
                if let head = producers[unit.values[0]], decisions[head]?.quantized == true {
                    decide(index, true, "fused into \(graph.nodes[head].displayName)")
                    decisions[index]?.fusedInto = graph.nodes[head].displayName
                }
            case .silu where integerSiLU.contains(unit.output):
                let node = graph.nodes[index]
                decide(index, true, "int8 SiLU (\(node.opType == "Sigmoid" ? "output on [0, 1]" : "product of two int8 values"))",
                       inputs: node.inputs, output: output)
            case .silu:
                decide(index, false, "inside a \(unit.kind.rawValue) unit, computed in float between quantized neighbours")
            }
        }
        // 2. Ops that cost nothing (or next to nothing) in int8 join where their neighbours are int8,
        //    iterating so chains (Reshape -> Transpose, Split -> Concat) join as a whole:
        //    - pass-through ops whose input is quantized and whose outputs feed quantized values reuse
        //      the input's parameters (exact);
        //    - a Concat whose output is quantized: inputs not quantized yet, read by it alone, take the
        //      output's parameters (exact: the output's QuantizeLinear rounds them to that grid anyway);
        //      ONNX Runtime then runs QLinearConcat;
        //    - an op with a known output range (Softmax) whose output is quantized: its input gets
        //      calibrated parameters where nothing else reads it (one more rounding, of its input),
        //      so ONNX Runtime runs its integer kernel (QLinearSoftmax);
        //    - an Add or Mul of two activations whose output is quantized (integerArithmeticPoints):
        //      ONNX Runtime runs QLinearAdd/QLinearMul on 1-byte values instead of dequantizing both
        //      inputs and running float on 4-byte ones, which is what made ppocrv4_det's model slower
        //      than ORT's when the machine's memory was busy (README, step 4).
        /// Where a value's chain of single-output pass-through ops (Reshape -> Transpose) begins: a
        /// quantized pair there lets the whole chain run on integers, and lets ONNX Runtime move the
        /// Transposes of that chain (its DFL Softmax in yolov8n ran 5x faster so).
        func chainStart(of value: String) -> String {
            var value = value
            while let p = producers[value], decisions[p] == nil, case .passThrough? = rules[p]?.kind, graph.nodes[p].outputs.count == 1,
                  options.resolved(for: graph.nodes[p]).quantize, let input = graph.nodes[p].inputs.first, ranges[input] != nil,
                  producers[input] != nil, !graph.isOutput(input), consumers[input] == [p] {
                value = input
            }
            return value
        }
        /// The known range of a value a fixed-range op (HardSigmoid: [0, 1]) produces.
        func fixedRange(of value: String) -> PointSource? {
            guard let p = producers[value], case .fixedRange(let lower, let upper)? = rules[p]?.kind else { return nil }
            return .fixed(lower: lower, upper: upper)
        }
        /// Unless --no-integer-arithmetic: the values to give points so that the Add or Mul of two
        /// activations at `index` runs in int8, or nil when it should not. Its output must be
        /// quantized anyway (a point there, or read only, as input, by a pass-through op that is
        /// free to join and whose output has one: a nearest Resize before a Conv), and each input
        /// must reach it from int8 without a QuantizeLinear after a float op (int8Path), which
        /// would be slower, not faster.
        /// A Relu or Clip reader does not count: DequantizeLinear -> Add -> Relu -> QuantizeLinear
        /// already runs as one QLinearAdd on the Relu's grid in ONNX Runtime (which drops a Relu
        /// whose QuantizeLinear clips at 0 anyway), and an Add quantized before it would spend half
        /// its grid on the negative values the Relu removes.
        func integerArithmeticPoints(_ index: Int, output: String) -> [String]? {
            var wanted = points[output] != nil
            if !wanted, let readers = consumers[output], readers.count == 1, !graph.isOutput(output) {
                let reader = graph.nodes[readers[0]]
                wanted = rules[readers[0]]?.kind == .passThrough && !["Relu", "Clip"].contains(reader.opType) && decisions[readers[0]] == nil
                    && options.resolved(for: reader).quantize && reader.inputs.first == output && reader.outputs.contains { points[$0] != nil }
            }
            guard wanted, ranges[output] != nil, let inputs = int8Inputs(index) else { return nil }
            return inputs + [output]
        }
        /// The values node `index`'s two activation inputs need points on to reach it from int8, if
        /// it is an Add or Mul, not excluded, whose inputs can.
        func int8Inputs(_ index: Int) -> [String]? {
            let node = graph.nodes[index]
            guard node.isDefaultDomain, ["Add", "Mul"].contains(node.opType), node.inputs.count == 2, options.resolved(for: node).quantize
            else { return nil }
            var values: [String] = []
            for input in node.inputs {
                guard let path = int8Path(input, reader: index) else { return nil }
                values += path
            }
            return values
        }
        /// The values that need points for `value` to reach `reader` from int8: none when it is
        /// quantized already; else, when only `reader` reads it, itself and those its producer needs,
        /// if that producer is undecided and joins once its output is quantized: a fixed-range op
        /// (an SE block's HardSigmoid gate, which then runs float on its known range between a
        /// DequantizeLinear and a QuantizeLinear) or a pass-through op whose input reaches it from
        /// int8, or an Add or Mul whose inputs do. nil when it cannot.
        func int8Path(_ value: String, reader: Int) -> [String]? {
            if points[value] != nil { return [] }
            guard !constants.contains(value), !graph.isOutput(value), (consumers[value] ?? []).allSatisfy({ $0 == reader }),
                  let p = producers[value], decisions[p] == nil, let kind = rules[p]?.kind, options.resolved(for: graph.nodes[p]).quantize,
                  ranges[value] != nil || fixedRange(of: value) != nil
            else { return nil }
            let upstream: [String]?
            switch kind {
            case .fixedRange, .passThrough: upstream = graph.nodes[p].inputs.first.flatMap { int8Path($0, reader: p) }
            case .arithmetic: upstream = int8Inputs(p)
            default: upstream = nil
            }
            return upstream.map { [value] + $0 }
        }
        var changed = true
        while changed {
            changed = false
            for index in order where decisions[index] == nil {
                let node = graph.nodes[index]
                guard let rule = rules[index], options.resolved(for: node).quantize else { continue }
                let outputs = node.outputs.filter { !$0.isEmpty }
                guard let output = outputs.first, !outputs.contains(where: graph.isOutput) else { continue }
                /// Whether `value` is read by this node alone, produced by a node, and not a graph output.
                func onlyHere(_ value: String) -> Bool {
                    producers[value] != nil && !graph.isOutput(value) && (consumers[value] ?? []).allSatisfy { $0 == index }
                }
                switch rule.kind {
                case .passThrough:
                    guard let input = node.inputs.first, points[input] != nil else { continue }
                    let feedsQuantized = outputs.contains { value in
                        points[value] != nil || (consumers[value] ?? []).contains { c in
                            let consumer = graph.nodes[c]
                            if decisions[c]?.quantized == true && consumer.inputs.firstIndex(of: value).map({ rules[c]?.activationInputs.contains($0) ?? false }) == true { return true }
                            return rules[c]?.kind == .passThrough && decisions[c] == nil
                        }
                    }
                    guard feedsQuantized else { continue }
                    decide(index, true, "int8, reuses its input's parameters", inputs: [input], output: output)
                    for value in outputs { points[value] = .inherited(from: input) }
                case .concatenation:
                    let inputs = rule.activationInputs.map { node.inputs[$0] }
                    let unquantized = inputs.filter { points[$0] == nil }
                    guard points[output] != nil, unquantized.allSatisfy(onlyHere) else { continue }
                    for input in unquantized { points[input] = .inherited(from: output) }
                    decide(index, true, "int8, inputs not quantized before take its output's parameters", inputs: inputs, output: output)
                case .fixedRange(let lower, let upper):
                    guard let input = node.inputs.first, points[output] != nil, ranges[input] != nil, points[input] != nil || onlyHere(input) else { continue }
                    if points[input] == nil { points[chainStart(of: input)] = .observed }
                    decide(index, true, "int8, output range [\(Formatting.fixed(Double(lower), digits: 0)), \(Formatting.fixed(Double(upper), digits: 0))] by definition", inputs: [input], output: output)
                case .arithmetic where options.integerArithmetic:
                    // The values on the way in get points too, so the gate and pass-through ops
                    // there join on the following rounds.
                    guard let values = integerArithmeticPoints(index, output: output) else { continue }
                    for value in values where points[value] == nil { points[value] = fixedRange(of: value) ?? .observed }
                    decide(index, true, "int8 \(node.opType) of two activations", inputs: rule.activationInputs.map { node.inputs[$0] }, output: output)
                default:
                    continue
                }
                changed = true
            }
        }
        // Pass-through nodes that joined but whose chain ended nowhere quantized are harmless: their
        // output pair reuses the input's parameters, so it is exact.
        for index in order where decisions[index] == nil {
            let node = graph.nodes[index]
            if !options.resolved(for: node).quantize {
                decide(index, false, "excluded by options")
            } else if let rule = rules[index] {
                switch rule.kind {
                case .passThrough:
                    // Its input may be quantized for another reader; then only its own readers are float.
                    let input = rule.activationInputs.first.map { node.inputs[$0] }
                    decide(index, false, input.flatMap { points[$0] } != nil ? "no int8 layer reads its output" : "input not quantized")
                case .concatenation: decide(index, false, "output not quantized, or an input read elsewhere is not quantized")
                case .fixedRange: decide(index, false, "output not quantized")
                default: decide(index, false, rule.floatReason ?? "arithmetic op kept float by default")
                }
            } else {
                decide(index, false, OpRegistry.lookup(type: node.opType, domain: node.domain) == nil ? "op not supported by qconvert" : "no quantization rule for \(node.opType)")
            }
        }
        plan.nodes = graph.nodes.indices.map { decisions[$0]! }
        (plan.points, plan.floors) = try parameters(for: points, graph: graph, floors: ReaderFloor.all(in: graph))
        return plan
    }

    /// Where a point's parameters come from.
    enum PointSource: Equatable {
        case observed
        case inherited(from: String)
        /// A function's output range, known without calibration (Sigmoid: [0, 1]).
        case fixed(lower: Float, upper: Float)
    }

    /// Parameters for every point, in topological order so inherited ones find their source. An
    /// observed value with a floor inside its range (`ReaderFloor`) gets a grid from the floor up, its
    /// lowest level at or below the floor: a step under it, as the zero point's rounding may move
    /// that level by half a step (a floor of 0 is a level already). Also returns the floors so used.
    private func parameters(for points: [String: PointSource], graph: Graph, floors: [String: Float]) throws
        -> (params: [String: QuantParams], floors: [String: Float]) {
        var result: [String: QuantParams] = [:], used: [String: Float] = [:]
        func resolve(_ value: String, depth: Int = 0) throws -> QuantParams {
            if let known = result[value] { return known }
            guard depth < 10_000 else { throw QConvertError("quantization parameters of '\(value)' depend on themselves") }
            let params: QuantParams
            switch points[value] {
            case .inherited(let source)?:
                params = try resolve(source, depth: depth + 1)
            case .fixed(let lower, let upper)?:
                params = QuantParams.covering(lower: lower, upper: upper, type: options.activationType, symmetric: options.symmetricActivations)
            default:
                guard var range = ranges[value] else { throw QConvertError("no calibrated range for '\(value)'") }
                if let unit = units.first(where: { $0.output == value }) {
                    if let lower = unit.lowerBound { range = max(range.lowerBound, lower)...max(range.upperBound, lower) }
                    if let upper = unit.upperBound { range = min(range.lowerBound, upper)...min(range.upperBound, upper) }
                }
                if let floor = floors[value], range.lowerBound < floor, floor < range.upperBound {
                    let step = floor < 0 ? (range.upperBound - floor) / Float(options.activationType.max - options.activationType.min) : 0
                    range = (floor - step)...range.upperBound
                    used[value] = floor
                }
                params = QuantParams.covering(lower: range.lowerBound, upper: range.upperBound,
                                              type: options.activationType, symmetric: options.symmetricActivations)
            }
            result[value] = params
            return params
        }
        for value in points.keys.sorted() { _ = try resolve(value) }
        return (result, used)
    }
}
