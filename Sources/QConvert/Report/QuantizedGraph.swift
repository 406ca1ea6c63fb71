import QConvertIR

/// The quantized nodes of a quantized model, found from its structure alone, and where each one's
/// output, activation inputs and weight live: what the report compares with the float model.
///
/// Why from the file and not from qconvert's plan: `compare` reads models written by other tools
/// (ONNX Runtime's quantize_static names values `<name>_QuantizeLinear_Output`...), and measuring the
/// file itself means the report describes exactly what was written (GPTQ-rounded weights included).
///
/// A quantized node is a node other than QuantizeLinear/DequantizeLinear that reads a
/// DequantizeLinear output and either has a dequantized constant input (weight) or its output
/// (possibly after one fused activation) goes into a QuantizeLinear (QDQ form); or an integer op
/// (QOperator form, see `QOperatorLayout`).
/// Its output is read where its QuantizeLinear -> DequantizeLinear pair leaves it, after at most one
/// fused activation (Conv -> Relu -> Q); a node whose output stays float is read at that output.
public struct QuantizedGraph: Sendable {
    /// An integer tensor's grid: names of its scale and zero-point initializers.
    public struct Grid: Sendable, Equatable {
        public var scale: String
        public var zeroPoint: String?

        public init(scale: String, zeroPoint: String?) {
            self.scale = scale
            self.zeroPoint = zeroPoint
        }

        /// The grid whose scale and (optional) zero point are `node`'s inputs `scale` and `zeroPoint`:
        /// 1 and 2 for a QuantizeLinear or DequantizeLinear.
        init(of node: Node, scale: Int = 1, zeroPoint: Int? = 2) {
            self.init(scale: node.inputs[scale],
                      zeroPoint: zeroPoint.flatMap { node.inputs.count > $0 && !node.inputs[$0].isEmpty ? node.inputs[$0] : nil })
        }
    }

    /// An integer activation a unit reads, and the float-model value it stands for.
    public struct Activation: Sendable, Equatable {
        public var quantized: String
        public var grid: Grid
        public var source: String?
    }

    /// An integer weight constant and the float initializer it replaces (nil when not found).
    public struct Weight: Sendable, Equatable {
        public var quantized: String
        public var grid: Grid
        public var axis: Int?
        public var source: String?
        /// How the source's elements line up with the integers.
        public var sourceLayout = SourceLayout.same
    }

    /// `transposed`: a Gemm's transB weight [N, K] written [K, N] for MatMulInteger; `either`: a
    /// square MatMulInteger weight, which may be either (the closer one is it).
    public enum SourceLayout: Sendable, Equatable {
        case same, transposed, either
    }

    public struct Unit: Sendable {
        public var node: String
        public var opType: String
        /// The node's index in the quantized graph.
        public var index: Int
        /// The float-model value compared (nil when the float model has no value of that name).
        public var value: String?
        /// The quantized-graph value holding it: float, or integer on `readGrid`.
        public var readAt: String
        public var readGrid: Grid?
        /// What enters the output's QuantizeLinear (saturation is counted there) and its grid.
        public var quantizeInput: String?
        public var outputGrid: Grid?
        /// The grid `value` is read back on: the DequantizeLinear's after that QuantizeLinear. Only
        /// where a quantizer took in an affine (IntegerHardSwish) does it differ from `outputGrid`.
        public var valueGrid: Grid?
        public var inputs: [Activation]
        /// Its quantized constants, in input order: one for most layers; W and R for an LSTM or GRU.
        public var weights: [Weight]
        /// Nodes that compute this unit from its integer inputs (for its local error).
        public var members: [Int]
    }

    public var units: [Unit]
    /// Float-model values below whose floor every reader gives the same result (`ReaderFloor`):
    /// compared, and their clipping counted, only from there up.
    public var floors: [String: Float]

    /// `floatWeights`: float constants besides (or instead of) `float`'s own that quantized weights may replace;
    /// `prepared`: the float model as qconvert prepares it, whose readers' floors apply as well
    /// (the lower where both have one), since there a HardSwish written out is one op and a shift
    /// may have become a Conv's bias.
    public init(quantized: Graph, float: Graph, floatWeights: [String: Tensor] = [:], prepared: Graph? = nil) {
        let names = FloatNames(float, extraConstants: floatWeights)
        let producers = quantized.producers(), consumers = quantized.consumers()
        func producer(_ value: String) -> Node? { producers[value].map { quantized.nodes[$0] } }
        /// The float-model value an integer tensor stands for: a QuantizeLinear's input, or the value
        /// another unit's integer output holds.
        func source(ofInteger value: String) -> String? {
            if let q = producer(value), q.opType == "QuantizeLinear" {
                return names.resolve(q.inputs[0]) ?? consumers[value]?.lazy.map { quantized.nodes[$0] }
                    .filter { $0.opType == "DequantizeLinear" }.compactMap { names.resolve($0.outputs[0]) }.first
            }
            return names.resolve(value)
        }
        var units: [Unit] = []
        for (index, node) in quantized.nodes.enumerated() where node.opType != "QuantizeLinear" && node.opType != "DequantizeLinear" {
            if let layout = QOperatorLayout.of(node) {
                units.append(Self.qoperatorUnit(node, index, layout, graph: quantized, names: names, producers: producers, consumers: consumers,
                                                source: source))
                continue
            }
            if let unit = Self.integerGather(node, index, graph: quantized, names: names, consumers: consumers) {
                units.append(unit)
                continue
            }
            var inputs: [Activation] = [], weights: [Weight] = [], members: [Int] = [], readsConstant = false
            for value in node.inputs where !value.isEmpty {
                guard let d = producers[value], quantized.nodes[d].opType == "DequantizeLinear" else { continue }
                let dq = quantized.nodes[d]
                members.append(d)
                if let constant = quantized.initializers[dq.inputs[0]] {
                    readsConstant = true
                    guard constant.dataType != .int32, constant.rank >= 2 else { continue }
                    let axis = try? dq.int("axis", default: 1)
                    let perAxis = (quantized.initializers[dq.inputs[1]]?.count ?? 1) > 1
                    let floatName = [dq.inputs[0], dq.outputs[0]].lazy.compactMap { names.resolveConstant($0, shape: constant.shape) }.first
                    weights.append(Weight(quantized: dq.inputs[0], grid: Grid(of: dq),
                                          axis: perAxis ? axis.map { $0 < 0 ? $0 + constant.rank : $0 } : nil, source: floatName))
                } else {
                    inputs.append(Activation(quantized: dq.inputs[0], grid: Grid(of: dq), source: source(ofInteger: dq.inputs[0])))
                }
            }
            guard !members.isEmpty else { continue }
            var unit = Unit(node: node.displayName, opType: node.opType, index: index, value: nil, readAt: node.outputs[0],
                            inputs: inputs, weights: weights, members: members + [index])
            Self.followOutput(&unit, graph: quantized, names: names, consumers: consumers)
            // A float node reading a dequantized value is not quantized: it needs a quantized
            // constant (weight, bias, a Mul's factor) or a quantized output.
            guard readsConstant || unit.quantizeInput != nil else { continue }
            units.append(unit)
        }
        self.units = units
        self.floors = ReaderFloor.all(in: float).merging(prepared.map(ReaderFloor.all) ?? [:], uniquingKeysWith: min)
    }

    /// For each unit, the units (indices into `units`, ascending) whose node's output reaches its
    /// node's inputs through any nodes. A quantizer of a model input belongs to no unit: a first
    /// layer reading it has nothing quantized upstream.
    public func upstreamUnits(in graph: Graph) throws -> [[Int]] {
        let unitOfNode = Dictionary(units.enumerated().map { ($1.index, $0) }, uniquingKeysWith: { a, _ in a })
        // The units each value is computed from.
        var sources: [String: Set<Int>] = [:]
        func reaching(_ node: Node) -> Set<Int> {
            node.inputs.reduce(into: Set<Int>()) { set, input in if let s = sources[input] { set.formUnion(s) } }
        }
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            var reached = reaching(node)
            if let unit = unitOfNode[index] { reached.insert(unit) }
            guard !reached.isEmpty else { continue }
            for output in node.outputs { sources[output] = reached }
        }
        return units.map { reaching(graph.nodes[$0.index]).sorted() }
    }

    /// Finds where a QDQ unit's output is quantized: its own QuantizeLinear, or one after a single
    /// fused activation; else the float output itself.
    private static func followOutput(_ unit: inout Unit, graph: Graph, names: FloatNames, consumers: [String: [Int]]) {
        let node = graph.nodes[unit.index]
        func quantizer(of value: String) -> Int? {
            consumers[value]?.first { graph.nodes[$0].opType == "QuantizeLinear" }
        }
        var chain: [Int] = []
        var q = quantizer(of: node.outputs[0])
        if q == nil, let readers = consumers[node.outputs[0]], readers.count == 1,
           fusableActivations.contains(graph.nodes[readers[0]].opType), let next = quantizer(of: graph.nodes[readers[0]].outputs[0]) {
            chain = [readers[0]]
            q = next
        }
        guard let q else {
            unit.value = names.resolve(node.outputs[0])
            return
        }
        let quantize = graph.nodes[q]
        unit.members += chain + [q]
        unit.quantizeInput = quantize.inputs[0]
        unit.outputGrid = Grid(of: quantize)
        if let d = consumers[quantize.outputs[0]]?.first(where: { graph.nodes[$0].opType == "DequantizeLinear" }) {
            unit.members.append(d)
            unit.readAt = graph.nodes[d].outputs[0]
            unit.valueGrid = Grid(of: graph.nodes[d])
            // A graph output keeps its name on the dequantized value (the producer writes a new one).
            unit.value = names.resolve(quantize.inputs[0]) ?? names.resolve(graph.nodes[d].outputs[0])
        } else {
            unit.readAt = quantize.outputs[0]
            unit.readGrid = unit.outputGrid
            unit.value = names.resolve(quantize.inputs[0])
        }
    }

    /// The weight of a MatMulInteger/ConvInteger: its int8 constant (input 1) with the zero point of
    /// input 3, and as scale the constant factor of the scales' product (x_scale · w_scale) that a
    /// Mul after the integer op applies, as qconvert's and ONNX Runtime's dynamic models compute it.
    /// Also the index of that product's Mul, which the unit's local error must run.
    private static func integerWeight(_ node: Node, _ layout: QOperatorLayout, members: [Int], graph: Graph, producers: [String: Int],
                                      names: FloatNames) -> (weight: Weight, product: Int)? {
        guard node.inputs.count > 1, let codes = graph.initializers[node.inputs[1]], codes.rank >= 2 else { return nil }
        for member in members where graph.nodes[member].opType == "Mul" {
            for factor in graph.nodes[member].inputs {
                guard let product = producers[factor], graph.nodes[product].opType == "Mul",
                      let scale = graph.nodes[product].inputs.first(where: { graph.initializers[$0] != nil }) else { continue }
                let zeroPoint = node.inputs.count > 3 && !node.inputs[3].isEmpty ? node.inputs[3] : nil
                let perAxis = (graph.initializers[scale]?.count ?? 1) > 1
                var weight = Weight(quantized: node.inputs[1], grid: Grid(scale: scale, zeroPoint: zeroPoint),
                                    axis: perAxis ? layout.weightAxis(node, codes.rank) : nil,
                                    source: names.resolveConstant(node.inputs[1], shape: codes.shape))
                if codes.rank == 2, codes.shape[0] == codes.shape[1] {
                    weight.sourceLayout = .either
                } else if weight.source == nil, codes.rank == 2, let transposed = names.resolveConstant(node.inputs[1], shape: codes.shape.reversed()) {
                    (weight.source, weight.sourceLayout) = (transposed, .transposed)
                }
                return (weight, product)
            }
        }
        return nil
    }

    /// The DequantizeLinear after `node` if it is a Gather from an 8-bit integer table (see `integerGather`).
    private static func dequantizerOfIntegerGather(_ node: Node, graph: Graph, consumers: [String: [Int]]) -> Int? {
        guard node.opType == "Gather", node.isDefaultDomain, let table = graph.initializers[node.inputs[0]],
              table.dataType == .int8 || table.dataType == .uint8 else { return nil }
        return consumers[node.outputs[0]]?.first { graph.nodes[$0].opType == "DequantizeLinear" }
    }

    /// A Gather from an integer table, dequantized after it: how ONNX Runtime's dynamic mode
    /// quantizes an embedding (the rows are looked up in int8, then dequantized). The table is the
    /// unit's weight, on the DequantizeLinear's grid; its output is the dequantized rows.
    private static func integerGather(_ node: Node, _ index: Int, graph: Graph, names: FloatNames, consumers: [String: [Int]]) -> Unit? {
        guard let d = dequantizerOfIntegerGather(node, graph: graph, consumers: consumers), let table = graph.initializers[node.inputs[0]] else { return nil }
        let dq = graph.nodes[d]
        let grid = Grid(of: dq)
        // A per-axis grid on the rows gathered does not say which table axis it runs along.
        let weight = (graph.initializers[grid.scale]?.count ?? 0) == 1
            ? Weight(quantized: node.inputs[0], grid: grid, axis: nil, source: names.resolveConstant(node.inputs[0], shape: table.shape)) : nil
        return Unit(node: node.displayName, opType: node.opType, index: index, value: names.resolve(dq.outputs[0]), readAt: dq.outputs[0],
                    inputs: [], weights: weight.map { [$0] } ?? [], members: [index, d])
    }

    /// Activations a quantizer may fold into the node before them (their output is what gets quantized).
    static let fusableActivations: Set<String> = ["Relu", "Clip", "LeakyRelu"]

    /// The grid an integer op reading `value` declares for it, if one does: directly, or after
    /// ops that move integers unchanged (a Reshape the QOperator form runs on them).
    private static func integerReaderGrid(of value: String, graph: Graph, consumers: [String: [Int]]) -> Grid? {
        for reader in consumers[value] ?? [] {
            let node = graph.nodes[reader]
            if ConvertToQOperator.integerPassThrough.contains(node.opType), node.inputs.first == value,
               let grid = integerReaderGrid(of: node.outputs[0], graph: graph, consumers: consumers) {
                return grid
            }
            guard let slot = QOperatorLayout.of(node)?.inputs.first(where: { $0.data < node.inputs.count && node.inputs[$0.data] == value })
            else { continue }
            return Grid(of: node, scale: slot.scale, zeroPoint: slot.zeroPoint)
        }
        return nil
    }

    private static func qoperatorUnit(_ node: Node, _ index: Int, _ layout: QOperatorLayout, graph: Graph, names: FloatNames,
                                      producers: [String: Int], consumers: [String: [Int]], source: (String) -> String?) -> Unit {
        func grid(_ pair: (Int, Int?)) -> Grid { Grid(of: node, scale: pair.0, zeroPoint: pair.1) }
        var inputs: [Activation] = [], weight: Weight?
        for slot in layout.inputs where slot.data < node.inputs.count && !node.inputs[slot.data].isEmpty {
            let value = node.inputs[slot.data]
            if let constant = graph.initializers[value], constant.rank >= 2, weight == nil {
                let perAxis = (graph.initializers[node.inputs[slot.scale]]?.count ?? 1) > 1
                weight = Weight(quantized: value, grid: grid((slot.scale, slot.zeroPoint)), axis: perAxis ? layout.weightAxis(node, constant.rank) : nil,
                                source: names.resolveConstant(value, shape: constant.shape))
            } else if graph.initializers[value] == nil {
                inputs.append(Activation(quantized: value, grid: grid((slot.scale, slot.zeroPoint)), source: source(value)))
            }
        }
        let output = node.outputs[0]
        var unit = Unit(node: node.displayName, opType: node.opType, index: index, value: nil, readAt: output, inputs: inputs,
                        weights: weight.map { [$0] } ?? [], members: [index])
        guard let outputGrid = layout.output.map(grid) else {
            // An int32 product (MatMulInteger, ConvInteger) becomes the float value a few
            // single-reader steps later (Cast, Mul by the scales, Add of the bias). Its activation
            // comes from a DynamicQuantizeLinear (grid set at run time) or an integer Gather (an
            // embedding looked up in int8): the unit runs that too, from float-model values, and
            // the scales' product, so that its local error can be measured. From anything else the
            // integers cannot be recomputed, and the unit has no local error.
            let quantizer = producers[node.inputs[0]].flatMap { p in
                graph.nodes[p].opType == "DynamicQuantizeLinear" || dequantizerOfIntegerGather(graph.nodes[p], graph: graph, consumers: consumers) != nil ? p : nil
            }
            var value = output
            for _ in 0..<4 where names.resolve(value) == nil {
                guard let readers = consumers[value], readers.count == 1 else { break }
                unit.members.append(readers[0])
                value = graph.nodes[readers[0]].outputs[0]
            }
            unit.value = names.resolve(value)
            unit.readAt = value
            if let found = integerWeight(node, layout, members: unit.members, graph: graph, producers: producers, names: names) {
                unit.weights = [found.weight]
                if let quantizer { unit.members += [quantizer, found.product] }
            }
            return unit
        }
        unit.outputGrid = outputGrid
        if let d = consumers[output]?.first(where: { graph.nodes[$0].opType == "DequantizeLinear" }) {
            unit.members.append(d)
            unit.readAt = graph.nodes[d].outputs[0]
            unit.valueGrid = Grid(of: graph.nodes[d])
            unit.value = names.resolve(output) ?? names.resolve(graph.nodes[d].outputs[0])
        } else {
            // Integer readers take the value on their own input grid, which differs from this op's
            // output grid only where a quantizer took in an affine (IntegerHardSwish).
            unit.readGrid = integerReaderGrid(of: output, graph: graph, consumers: consumers) ?? outputGrid
            unit.valueGrid = unit.readGrid
            unit.value = names.resolve(output)
        }
        // ONNX Runtime drops a Relu after a QLinearConv (its output grid starting at 0 does the
        // clipping) and keeps the Conv's name: with no Relu left reading it, the integers stand for
        // the float Relu's output, not the Conv's.
        let readers = [output, unit.readAt].flatMap { consumers[$0] ?? [] }
        if let value = unit.value, let relu = names.reluOutputs[value], !readers.contains(where: { graph.nodes[$0].opType == "Relu" }) {
            unit.value = relu
        }
        return unit
    }
}

/// Value names of the float model, and the ways quantizers rename them.
struct FloatNames {
    let values: Set<String>
    let initializers: [String: [Int]]
    /// For a value whose only reader is a Relu, that Relu's output.
    let reluOutputs: [String: String]

    init(_ graph: Graph, extraConstants: [String: Tensor] = [:]) {
        var values = Set(graph.inputs.map(\.name))
        for node in graph.nodes { values.formUnion(node.outputs) }
        self.values = values
        reluOutputs = graph.consumers().compactMapValues { readers in
            readers.count == 1 && graph.nodes[readers[0]].opType == "Relu" ? graph.nodes[readers[0]].outputs[0] : nil
        }
        var shapes = extraConstants.mapValues(\.shape)
        for (name, tensor) in graph.initializers { shapes[name] = tensor.shape }
        initializers = shapes
    }

    /// Suffixes quantizers append: ONNX Runtime (`_QuantizeLinear_Output`, `_quantized`...) and
    /// qconvert (`_q`, `_dq`, `_f`, `_int8` and `_uint8` for dynamic mode's MatMul and Conv weights, with `_1`... when a name was taken).
    static let suffixes = ["_QuantizeLinear_Output", "_DequantizeLinear_Output", "_QuantizeLinear_Input", "_quantized", "_dequantized",
                           "_q", "_dq", "_f", "_int8", "_uint8"]

    /// `name` itself or with one known suffix removed, if the float model has that value.
    func resolve(_ name: String) -> String? {
        candidates(name).first { values.contains($0) }
    }

    /// The float initializer a quantized constant replaces (same shape).
    func resolveConstant(_ name: String, shape: [Int]) -> String? {
        candidates(name).first { initializers[$0] == shape }
    }

    private func candidates(_ name: String) -> [String] {
        var base = name
        // qconvert's NameScope makes `x_q_1` when `x_q` is taken.
        if let underscore = base.lastIndex(of: "_"), base[base.index(after: underscore)...].allSatisfy(\.isNumber),
           base.index(after: underscore) < base.endIndex {
            let stripped = String(base[..<underscore])
            if Self.suffixes.contains(where: { stripped.hasSuffix($0) }) { base = stripped }
        }
        return [name] + Self.suffixes.filter { base.hasSuffix($0) }.map { String(base.dropLast($0.count)) }
    }
}
