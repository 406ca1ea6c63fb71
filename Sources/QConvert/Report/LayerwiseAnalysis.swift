import QConvertIR

/// Measures where a quantized model departs from its float original, unit by unit (see
/// `QuantizedGraph`).
///
/// Accumulated error: both models run on the same samples and every unit's output is compared (the
/// whole quantized model up to that point). Local error: each unit alone, fed the float model's
/// values at its inputs (quantized on its own input grids), compared at its own output.
public enum LayerwiseAnalysis {
    /// What the accumulated run measured, by unit index; and what the float run showed of the values.
    public struct Accumulated: Sendable {
        public var errors: [Int: TensorError] = [:]
        /// Values entering each unit's output QuantizeLinear outside its grid, and all of them.
        public var saturated: [Int: Int] = [:]
        public var observed: [Int: Int] = [:]
        /// Per-channel [min, max] of each unit's float output (see `channelAxis`).
        public var channelRanges: [String: [ClosedRange<Float>]] = [:]
        /// Histograms of the float values asked for.
        public var histograms: [String: Histogram] = [:]
    }

    /// Channel axis of an activation: 1 for NCHW images (rank 4) and for what convolutions and
    /// pools produce at any rank ([N, C, L] for 1-D ones), the last axis for token and feature
    /// tensors ([N, T, C], [N, C]); none below rank 2.
    static func channelAxis(rank: Int, producedBy opType: String) -> Int? {
        if rank >= 3 && channelsFirstOps.contains(opType) { return 1 }
        return rank == 4 ? 1 : (rank >= 2 ? rank - 1 : nil)
    }

    static let channelsFirstOps: Set<String> = ["Conv", "ConvTranspose", "QLinearConv", "ConvInteger", "MaxPool", "AveragePool",
                                                "QLinearAveragePool", "GlobalAveragePool", "QLinearGlobalAveragePool"]

    /// Values outside these bounds are clipped by a QuantizeLinear on `params`, beyond its rounding:
    /// half a step past the grid's ends (those round to the end like any value), and nothing below
    /// a grid starting at 0, where clipping is a ReLU: ONNX Runtime folds a Relu into the
    /// QuantizeLinear after it, and qconvert starts a grid at 0 only for values calibration saw
    /// non-negative. Nor below a grid starting at or under the value's `floor` (`ReaderFloor`):
    /// those values give its readers the same result clipped or not.
    static func clippingBounds(_ params: QuantParams, floor: Float? = nil) -> ClosedRange<Float> {
        let range = params.coveredRange, half = params.scales[0] / 2
        let harmless = range.lowerBound == 0 || floor.map { range.lowerBound <= $0 } == true
        return (harmless ? -Float.infinity : range.lowerBound - half)...(range.upperBound + half)
    }

    /// Runs both models on every sample of `samples`; histograms `histogramOf` float values.
    public static func accumulated(
        float: Model, quantized: Model, graph: QuantizedGraph, samples: CalibrationDataset, histogramOf: Set<String> = [], threads: Int
    ) throws -> Accumulated {
        let reference = try Interpreter(model: float, threads: threads)
        let test = try Interpreter(model: quantized, threads: threads)
        var readAt: [String: [Int]] = [:], quantizeInput: [String: (Int, ClosedRange<Float>)] = [:], readParams: [Int: QuantParams] = [:]
        for (k, unit) in graph.units.enumerated() where unit.value != nil {
            readAt[unit.readAt, default: []].append(k)
            if let grid = unit.readGrid { readParams[k] = graph.params(grid, in: quantized.graph) }
            if let input = unit.quantizeInput, let params = unit.outputGrid.flatMap({ graph.params($0, in: quantized.graph) }), params.axis == nil {
                // The value's floor is on the value's scale: not the quantizer's where that took in an affine.
                let floor = unit.valueGrid == nil || unit.valueGrid == unit.outputGrid ? graph.floor(of: unit) : nil
                quantizeInput[input] = (k, clippingBounds(params, floor: floor))
            }
        }
        var opTypeOf: [String: String] = [:]
        for unit in graph.units { if let value = unit.value { opTypeOf[value] = unit.opType } }
        var result = Accumulated()
        for index in 0..<samples.count { try samples.withSample(index) { feeds in
            var floats: [String: Tensor] = [:]
            _ = try reference.run(feeds) { name, tensor in
                guard tensor.dataType == .float else { return }
                if let opType = opTypeOf[name] {
                    floats[name] = tensor
                    Self.updateChannelRanges(&result.channelRanges[name], tensor, axis: Self.channelAxis(rank: tensor.rank, producedBy: opType))
                }
                if histogramOf.contains(name) { tensor.withElements(of: Float.self) { result.histograms[name, default: Histogram()].add($0) } }
            }
            _ = try test.run(feeds) { name, tensor in
                if let (k, grid) = quantizeInput[name], tensor.dataType == .float {
                    let outside = tensor.withElements(of: Float.self) { $0.reduce(0) { $0 + (grid.contains($1) ? 0 : 1) } }
                    result.saturated[k, default: 0] += outside
                    result.observed[k, default: 0] += tensor.count
                }
                for k in readAt[name] ?? [] {
                    guard let expected = floats[graph.units[k].value!], expected.count == tensor.count,
                          let actual = Self.reals(tensor, params: readParams[k]) else { continue }
                    let floor = graph.floor(of: graph.units[k])
                    expected.withElements(of: Float.self) { r in
                        actual.withUnsafeBufferPointer { t in result.errors[k, default: TensorError()].add(reference: r, test: t, floor: floor) }
                    }
                }
            }
        } }
        return result
    }

    /// A float tensor's values, or an integer tensor's dequantized on `params` (per-tensor).
    static func reals(_ tensor: Tensor, params: QuantParams?) -> [Float]? {
        if tensor.dataType == .float { return tensor.floats() }
        guard let params, params.axis == nil, let codes = tensor.integers() else { return nil }
        let scale = params.scales[0], zero = Int64(params.zeroPoints[0])
        return codes.map { Float($0 - zero) * scale }
    }

    static func updateChannelRanges(_ ranges: inout [ClosedRange<Float>]?, _ tensor: Tensor, axis: Int?) {
        guard let axis else { return }
        let channels = tensor.shape[axis]
        guard channels > 0 else { return }
        var low = [Float](repeating: .infinity, count: channels), high = [Float](repeating: -.infinity, count: channels)
        tensor.withElements(of: Float.self) { values in
            AffineQuantization.ParameterIndex(axis: axis, shape: tensor.shape).forEachRun(in: 0..<values.count) { run, c in
                var (l, h) = (low[c], high[c])
                for v in values[run] where v.isFinite { (l, h) = (min(l, v), max(h, v)) }
                (low[c], high[c]) = (l, h)
            }
        }
        var merged = ranges ?? Array(repeating: Float.infinity...Float.infinity, count: channels)
        guard merged.count == channels else { return }
        for c in 0..<channels where low[c] <= high[c] {
            merged[c] = merged[c].lowerBound == .infinity ? low[c]...high[c] : min(merged[c].lowerBound, low[c])...max(merged[c].upperBound, high[c])
        }
        ranges = merged
    }

    /// Error each unit adds on its own: its integer inputs are the float model's values quantized
    /// on their grids, everything after that is the quantized model's own nodes (weights as written).
    public static func local(float: Model, quantized: Model, graph: QuantizedGraph, samples: CalibrationDataset, threads: Int) throws -> [Int: TensorError] {
        var runs: [(unit: Int, interpreter: Interpreter, feeds: [(String, String)])] = []
        let names = FloatNames(float.graph), producers = quantized.graph.producers()
        for (k, unit) in graph.units.enumerated() {
            guard let model = Self.isolated(unit, in: quantized, names: names, producers: producers) else { continue }
            runs.append((k, try Interpreter(model: model.model, threads: threads), model.feeds))
        }
        let needed = Set(runs.flatMap { run in run.feeds.map(\.1) + [graph.units[run.unit].value!] })
        let reference = try Interpreter(model: float, threads: threads)
        var results: [Int: TensorError] = [:]
        for index in 0..<samples.count {
            let values = try samples.withSample(index) { try reference.run($0, keep: needed) }
            for run in runs {
                var feeds: [String: Tensor] = [:]
                for (input, source) in run.feeds { feeds[input] = values[source] }
                let unit = graph.units[run.unit]
                guard feeds.count == run.feeds.count, let expected = values[unit.value!],
                      let output = try run.interpreter.run(feeds)[unit.readAt],
                      let actual = Self.reals(output, params: unit.readGrid.flatMap { graph.params($0, in: quantized.graph) }),
                      actual.count == expected.count else { continue }
                let floor = graph.floor(of: unit)
                expected.withElements(of: Float.self) { r in
                    actual.withUnsafeBufferPointer { t in results[run.unit, default: TensorError()].add(reference: r, test: t, floor: floor) }
                }
            }
        }
        return results
    }

    /// A model computing one unit from float inputs: `QuantizeLinear(input_k)` on each of its input
    /// grids, then the unit's own nodes. Nil when an input has no float counterpart.
    static func isolated(_ unit: QuantizedGraph.Unit, in model: Model, names: FloatNames,
                         producers: [String: Int]) -> (model: Model, feeds: [(String, String)])? {
        guard unit.value != nil, unit.inputs.allSatisfy({ $0.source != nil }) else { return nil }
        var graph = model.graph
        var nodes: [Node] = [], feeds: [(String, String)] = [], inputs: [ValueInfo] = [], seen = Set<String>()
        for input in unit.inputs where seen.insert(input.quantized).inserted {
            let name = "qconvert.local.\(feeds.count)"
            feeds.append((name, input.source!))
            inputs.append(ValueInfo(name: name))
            nodes.append(Node(name: name + ".Q", opType: "QuantizeLinear", inputs: [name, input.grid.scale] + (input.grid.zeroPoint.map { [$0] } ?? []),
                              outputs: [input.quantized]))
        }
        nodes += unit.members.sorted().map { model.graph.nodes[$0] }
        // Constants computed in the graph (ONNX Runtime reshapes a dynamic layer's bias) come along.
        let memberOutputs = Set(nodes.flatMap(\.outputs))
        let constantSteps = Set(nodes.flatMap(\.inputs).compactMap { value in
            producers[value].flatMap { p in
                !memberOutputs.contains(value) && graph.nodes[p].inputs.allSatisfy({ $0.isEmpty || graph.initializers[$0] != nil }) ? p : nil
            }
        })
        nodes = constantSteps.sorted().map { graph.nodes[$0] } + nodes
        // Other inputs computed upstream (a Reshape's shape, say) come from the float model too.
        var produced = Set(nodes.flatMap(\.outputs) + inputs.map(\.name))
        for node in nodes {
            for value in node.inputs where !value.isEmpty && !produced.contains(value) && graph.initializers[value] == nil {
                guard let source = names.resolve(value) else { return nil }
                feeds.append((value, source))
                inputs.append(ValueInfo(name: value))
                produced.insert(value)
            }
        }
        graph.nodes = nodes
        graph.inputs = inputs
        graph.outputs = [ValueInfo(name: unit.readAt)]
        graph.valueInfo = [:]
        var copy = model
        copy.graph = graph
        return (copy, feeds)
    }
}

extension QuantizedGraph {
    /// The floor of the float value `unit` is compared at (`floors`), if it has one.
    func floor(of unit: Unit) -> Float? {
        unit.value.flatMap { floors[$0] }
    }

    /// Fails on a scale no runtime can use: an activation's must be finite and above 0, a weight's
    /// finite and not below 0 (0 only dequantizes a dead channel to zeros). From a file: another
    /// tool's model, or a damaged one, would otherwise be measured on a grid running backwards.
    func checkScales(in graph: Graph) throws {
        for unit in units {
            let activations = unit.inputs.map(\.grid) + [unit.outputGrid, unit.readGrid].compactMap { $0 }
            for (grid, isWeight) in activations.map({ ($0, false) }) + unit.weights.map({ ($0.grid, true) }) {
                guard let bad = graph.initializers[grid.scale]?.floats()?.first(where: { !$0.isFinite || $0 < 0 || (!isWeight && $0 == 0) })
                else { continue }
                throw QConvertError("node '\(unit.node)' (\(unit.opType)): scale '\(grid.scale)' holds \(bad); "
                                    + (isWeight ? "a weight's scales must be finite and not negative" : "an activation's scale must be finite and positive"))
            }
        }
    }

    /// The parameters a grid's initializers hold. A zero point left out is 0, as ONNX says, of the
    /// type of `codes` (a DequantizeLinear's input: symmetric int8 weights have none), else uint8
    /// (QuantizeLinear's default).
    func params(_ grid: Grid, in graph: Graph, codes: DataType? = nil) -> QuantParams? {
        guard let scales = graph.initializers[grid.scale]?.floats() else { return nil }
        let zero = grid.zeroPoint.flatMap { graph.initializers[$0] }
        let stored = zero?.dataType ?? codes
        let type: QuantType = stored == .int8 ? .int8 : (stored == .int32 ? .int32 : .uint8)
        var zeros = zero?.integers().map { $0.map { Int32($0) } } ?? Array(repeating: 0, count: scales.count)
        // One zero point for per-channel scales (qconvert's ConvInteger weights: ONNX Runtime's kernel takes no other).
        if zeros.count == 1, scales.count > 1 { zeros = Array(repeating: zeros[0], count: scales.count) }
        return QuantParams(type: type, scales: scales, zeroPoints: zeros, axis: scales.count > 1 ? 0 : nil)
    }
}
