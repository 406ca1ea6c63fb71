import QConvertIR

/// Runs each HardSwish between quantized tensors as integer Add and Mul groups, which ONNX Runtime
/// fuses into QLinearAdd and QLinearMul, taking a scalar affine after it into the output grid
/// (`--integer-hardswish`).
///
/// Why: ONNX Runtime has no integer HardSwish, so a QDQ model dequantizes the input, runs the
/// HardSwish (and PP-LCNetV3's learnable affine a·h + b after it) in float on 4-byte values and
/// quantizes again: memory-bound passes that made ppocrv4_det's int8 model slower than ORT's own
/// when the machine's memory was busy. The gate min(max(x + 3, 0), 6) is an Add whose output grid
/// [0, 6] does the clipping, so the whole function has an integer form:
///     Given:  h = HardSwish(DQ(xq)); [h = h · a]; [h = h + b]; yq = QuantizeLinear(h, s, zp)   (a > 0, b scalars)
///     Result: gq = QuantizeLinear(DQ(xq) + 3, 6/255, z0)        (the gate, in 255 steps of [0, 6])
///             yq = QuantizeLinear(DQ(xq) · DequantizeLinear(gq, 1/255, z0), s/a, zp + round(b/s))
/// z0 is the type's lowest value (0 for uint8, -128 for int8) and 3 a DequantizeLinear constant;
/// the readers of yq keep their DequantizeLinear(yq, s, zp).
/// Two roundings cost accuracy: the gate's, which moves h by at most |x|/510 (only for |x| < 3),
/// and the zero point's, which takes b in whole steps, so the grid holds y shifted by up to s/2.
/// On ppocrv4_det the second is what costs (README: Results, `--integer-hardswish`).
public struct IntegerHardSwish: Pass {
    public let name = "integer-hardswish"

    public init() {}

    /// One HardSwish chain found in the graph, and what rewriting it takes.
    struct Chain {
        var nodes: [Int]          // HardSwish, [Mul], [Add], QuantizeLinear, in chain order
        var input: String         // DQ(xq): the HardSwish's input
        var type: QuantType       // xq's (and yq's) integer type
        var a: Float, b: Float    // the affine after the HardSwish (1 and 0 when absent)
        var scale: Float, zero: Int32, quantize: Node

        /// b in whole steps of the output grid, which its zero point takes.
        var shift: Int32 { Int32((b / scale).rounded()) }
    }

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        let producers = graph.producers(), consumers = graph.consumers()
        var chains: [Chain] = []
        for index in graph.nodes.indices where graph.nodes[index].opType == "HardSwish" && graph.nodes[index].isDefaultDomain {
            if let chain = chain(from: index, graph: graph, producers: producers, consumers: consumers) { chains.append(chain) }
        }
        guard !chains.isEmpty else { return .unchanged }
        var replacements: [Int: [Node]] = [:]
        var removed = Set<Int>()
        var constants: [QuantType: GateConstants] = [:]
        for chain in chains {
            let shared = constants[chain.type] ?? GateConstants(chain.type, graph: &graph, names: &names)
            constants[chain.type] = shared
            replacements[chain.nodes[0]] = rewritten(chain, constants: shared, graph: &graph, names: &names)
            removed.formUnion(chain.nodes.dropFirst())
        }
        var nodes: [Node] = []
        for (index, node) in graph.nodes.enumerated() where !removed.contains(index) {
            nodes += replacements[index] ?? [node]
        }
        graph.nodes = nodes
        model.graph = graph
        return PassReport(changes: chains.count, summary: "\(chains.count) HardSwish run in integer arithmetic")
    }

    /// The chain starting at HardSwish `index`, or nil when it does not have the form above.
    func chain(from index: Int, graph: Graph, producers: [String: Int], consumers: [String: [Int]]) -> Chain? {
        let hardSwish = graph.nodes[index]
        guard let p = producers[hardSwish.inputs[0]], graph.nodes[p].opType == "DequantizeLinear",
              let type = activationType(graph.nodes[p], graph: graph)
        else { return nil }
        var chain = Chain(nodes: [index], input: hardSwish.inputs[0], type: type, a: 1, b: 0, scale: 0, zero: 0, quantize: hardSwish)
        var current = hardSwish.outputs[0]
        while true {
            guard !graph.isOutput(current), let next = consumers[current], next.count == 1 else { return nil }
            let node = graph.nodes[next[0]]
            chain.nodes.append(next[0])
            if node.opType == "QuantizeLinear" {
                guard node.inputs.count == 3, let s = scalar(node.inputs[1], graph), s > 0,
                      let zero = graph.initializers[node.inputs[2]], zero.count == 1, zero.dataType == type.dataType,
                      !graph.isOutput(node.outputs[0])
                else { return nil }
                (chain.scale, chain.zero, chain.quantize) = (s, Int32(zero.integers()![0]), node)
                break
            }
            // At most one Mul, then at most one Add, each by a scalar constant.
            // A constant of higher rank would broadcast the output to it.
            guard node.isDefaultDomain, node.inputs.count == 2, let k = node.inputs.firstIndex(where: { graph.initializers[$0] != nil }),
                  let value = scalar(node.inputs[k], graph), graph.initializers[node.inputs[k]]!.rank <= 1, node.inputs[1 - k] == current
            else { return nil }
            if node.opType == "Mul", chain.nodes.count == 2, value > 0 {
                chain.a = value
            } else if node.opType == "Add", chain.b == 0 {
                chain.b = value
            } else {
                return nil
            }
            current = node.outputs[0]
        }
        // Readers must take yq through their own DequantizeLinear(yq, s, zp), which stays.
        guard (chain.b / chain.scale).magnitude < 256, (type.min...type.max).contains(Int64(chain.zero) + Int64(chain.shift)),
              (chain.scale / chain.a).isNormal,
              consumers[chain.quantize.outputs[0]]?.allSatisfy({ graph.nodes[$0].opType == "DequantizeLinear" }) == true
        else { return nil }
        return chain
    }

    /// The integer type of a per-tensor DequantizeLinear of an activation (uint8 or int8), or nil.
    func activationType(_ dq: Node, graph: Graph) -> QuantType? {
        guard dq.inputs.count == 3, scalar(dq.inputs[1], graph) != nil, let zero = graph.initializers[dq.inputs[2]], zero.count == 1
        else { return nil }
        return zero.dataType == .uint8 ? .uint8 : zero.dataType == .int8 ? .int8 : nil
    }

    /// A one-element float constant's value.
    func scalar(_ name: String, _ graph: Graph) -> Float? {
        guard let t = graph.initializers[name], t.count == 1, let v = t.floats()?.first, v.isFinite else { return nil }
        return v
    }

    /// The constants every chain of one integer type shares: the type's lowest code (the gate's
    /// zero point), 3 on a grid of 3/255 from it, and the gate's grids, 6/255 to quantize x + 3 onto
    /// [0, 6] and 1/255 to read it back as [0, 1].
    struct GateConstants {
        let zero: String, three: String, threeScale: String, gateQuantizeScale: String, gateScale: String

        init(_ type: QuantType, graph: inout Graph, names: inout NameScope) {
            func constant(_ suffix: String, _ tensor: Tensor) -> String {
                let name = names.fresh("hardswish_\(type)" + suffix)
                graph.initializers[name] = tensor
                return name
            }
            let low = Int32(type.min)
            zero = constant("_z0", type.tensor(shape: [], [low]))
            three = constant("_3q", type.tensor(shape: [], [low + 255]))
            threeScale = constant("_3s", Tensor(scalar: Float(3) / 255))
            gateQuantizeScale = constant("_gate_qs", Tensor(scalar: Float(6) / 255))
            gateScale = constant("_gate_s", Tensor(scalar: Float(1) / 255))
        }
    }

    /// The integer form of `chain` (see the type's comment), whose output keeps the QuantizeLinear's name.
    func rewritten(_ chain: Chain, constants c: GateConstants, graph: inout Graph, names: inout NameScope) -> [Node] {
        let base = graph.nodes[chain.nodes[0]].displayName
        func value(_ suffix: String) -> String { names.fresh(base + suffix) }
        let (three, sum, gateQ, gate, product) = (value("_3"), value("_gate_in"), value("_gate_q"), value("_gate"), value("_product"))
        let (scale, zero) = (value("_s"), value("_z"))
        graph.initializers[scale] = Tensor(scalar: chain.scale / chain.a)
        graph.initializers[zero] = chain.type.tensor(shape: [], [chain.zero + chain.shift])
        return [
            Node(name: "", opType: "DequantizeLinear", inputs: [c.three, c.threeScale, c.zero], outputs: [three]),
            Node(name: value("_gate_add"), opType: "Add", inputs: [chain.input, three], outputs: [sum]),
            Node(name: value("_gate_Q"), opType: "QuantizeLinear", inputs: [sum, c.gateQuantizeScale, c.zero], outputs: [gateQ]),
            Node(name: value("_gate_DQ"), opType: "DequantizeLinear", inputs: [gateQ, c.gateScale, c.zero], outputs: [gate]),
            Node(name: value("_mul"), opType: "Mul", inputs: [chain.input, gate], outputs: [product]),
            Node(name: chain.quantize.name, opType: "QuantizeLinear", inputs: [product, scale, zero], outputs: chain.quantize.outputs),
        ]
    }
}
