import QConvertIR

/// Finds the activations that quantization must treat together with the op before them, and records
/// them as units in the pass context; rewrites HardSwish written out in other ops to the HardSwish op
/// where the opset has it.
///
/// Why: quantizing the output of a Conv and again after its Relu wastes half the grid on negative
/// values the Relu removes. As a unit, the Conv's output is quantized once, on the Relu's range
/// [0, max] (Clip: [min, max]); ONNX Runtime then fuses Conv + Relu into one integer kernel.
///     Given:  y = Conv(x, W, b); z = Relu(y)              (y read only by the Relu)
///     Result: unbroken, recorded as unit [y, z] with lower bound 0
///     Given:  s = Sigmoid(x); y = Mul(x, s)               (SiLU)
///     Result: unbroken, recorded as unit [s, y]
///     Given:  h = HardSigmoid(x) {alpha 1/6, beta 1/2}; y = Mul(x, h), opset >= 14
///     Result: y = HardSwish(x)
///     Given:  y = Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6), opset >= 14
///     Result: y = HardSwish(x)
/// The graph stays standard ONNX; running the pass again finds the same units.
public struct FuseConvActivation: Pass {
    public let name = "fuse-conv-activation"

    public init() {}

    static let computeOps: Set<String> = ["Conv", "ConvTranspose", "Gemm", "MatMul"]

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        let hardSwishes = try rewriteHardSwish(&graph, opset: model.opsetVersion() ?? 1)
        let producers = graph.producers()
        let consumers = graph.consumers()
        var units: [FusedUnit] = []
        var counts: [String: Int] = [:]
        for node in graph.nodes where node.isDefaultDomain {
            guard let output = node.outputs.first, let input = node.inputs.first, !input.isEmpty else { continue }
            // Compute op + Relu/Clip.
            if let p = producers[input], Self.computeOps.contains(graph.nodes[p].opType), graph.nodes[p].isDefaultDomain,
               consumers[input]?.count == 1, !graph.isOutput(input),
               let bounds = try clampBounds(node, graph: graph) {
                let compute = graph.nodes[p]
                units.append(FusedUnit(kind: .computeActivation, values: [input, output], input: compute.inputs[0],
                                       output: output, lowerBound: bounds.lower, upperBound: bounds.upper))
                counts["\(compute.opType)+\(node.opType)", default: 0] += 1
                continue
            }
            // x * Sigmoid(x).
            if node.opType == "Mul", node.inputs.count == 2 {
                for (k, other) in [(0, 1), (1, 0)] {
                    guard let p = producers[node.inputs[k]] else { continue }
                    let gate = graph.nodes[p]
                    guard gate.isDefaultDomain, gate.opType == "Sigmoid", gate.inputs.first == node.inputs[other],
                          consumers[node.inputs[k]]?.count == 1, !graph.isOutput(node.inputs[k])
                    else { continue }
                    units.append(FusedUnit(kind: .silu, values: [node.inputs[k], output], input: node.inputs[other], output: output,
                                           lowerBound: nil, upperBound: nil))
                    counts["x*Sigmoid(x)", default: 0] += 1
                    break
                }
            }
        }
        model.graph = graph
        context.units.removeAll { old in units.contains { $0.output == old.output } }
        context.units += units
        var parts = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        if hardSwishes > 0 { parts.append("\(hardSwishes) HardSwish rewritten") }
        guard !parts.isEmpty else { return .unchanged }
        return PassReport(changes: units.count + hardSwishes, summary: parts.joined(separator: ", "))
    }

    /// [lower, upper] a Relu or Clip imposes, if it is one that clips below at or above zero.
    private func clampBounds(_ node: Node, graph: Graph) throws -> (lower: Float, upper: Float?)? {
        switch node.opType {
        case "Relu":
            return (0, nil)
        case "Clip":
            guard let (lower, upper) = Ops.Clip.constantBounds(node, constant: { graph.initializers[$0] }), lower >= 0 else { return nil }
            return (lower, upper.isFinite ? upper : nil)
        default:
            return nil
        }
    }

    /// HardSigmoid with alpha 1/6 and beta 1/2, the gate of HardSwish.
    private func isHardSwishGate(_ node: Node) throws -> Bool {
        let (alpha, beta) = try Ops.HardSigmoid.coefficients(node)
        return abs(alpha - 1.0 / 6.0) < 1e-6 && abs(beta - 0.5) < 1e-6
    }

    /// Replaces each HardSwish written out in other ops by the HardSwish op, when the opset (>= 14)
    /// has it: one float op instead of two to four between the quantized neighbours.
    private func rewriteHardSwish(_ graph: inout Graph, opset: Int) throws -> Int {
        guard opset >= 14 else { return 0 }
        var rewritten = 0
        var index = 0
        var producers = graph.producers(), consumers = graph.consumers()
        while index < graph.nodes.count {
            guard let (x, inner) = try hardSwish(endingAt: index, graph, producers: producers, consumers: consumers) else {
                index += 1
                continue
            }
            let node = graph.nodes[index]
            graph.nodes[index] = Node(name: node.name, opType: "HardSwish", inputs: [x], outputs: node.outputs)
            graph.nodes.removeAll { $0.outputs.count == 1 && inner.contains($0.outputs[0]) }
            for value in inner { graph.valueInfo.removeValue(forKey: value) }
            rewritten += 1
            index = graph.nodes.firstIndex { $0.outputs == node.outputs }! + 1
            producers = graph.producers()
            consumers = graph.consumers()
        }
        return rewritten
    }

    /// The input x and the inner values of a HardSwish whose last op is node `index`, if it is one of
    ///     Mul(x, HardSigmoid(x) {alpha 1/6, beta 1/2})
    ///     Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)      (or the product times 1/6; operands in any order)
    /// with every inner value read once and not a graph output.
    private func hardSwish(endingAt index: Int, _ graph: Graph, producers: [String: Int], consumers: [String: [Int]]) throws -> (String, [String])? {
        let node = graph.nodes[index]
        guard node.isDefaultDomain, node.inputs.count == 2, node.outputs.count == 1 else { return nil }
        func inner(_ value: String, _ opType: String) -> Node? {
            guard let p = producers[value], graph.nodes[p].opType == opType, graph.nodes[p].isDefaultDomain,
                  consumers[value]?.count == 1, !graph.isOutput(value)
            else { return nil }
            return graph.nodes[p]
        }
        func isScalar(_ value: String, _ expected: Float) -> Bool {
            guard let v = graph.initializers[value]?.floats(), v.count == 1 else { return false }
            return abs(v[0] - expected) <= 1e-6 * max(1, abs(expected))
        }
        if node.opType == "Mul" {
            for (k, other) in [(0, 1), (1, 0)] {
                if let gate = inner(node.inputs[k], "HardSigmoid"), gate.inputs.first == node.inputs[other], try isHardSwishGate(gate) {
                    return (node.inputs[other], [node.inputs[k]])
                }
            }
        }
        let product: String
        if node.opType == "Div", isScalar(node.inputs[1], 6) {
            product = node.inputs[0]
        } else if node.opType == "Mul", let k = [0, 1].first(where: { isScalar(node.inputs[$0], 1.0 / 6.0) }) {
            product = node.inputs[1 - k]
        } else {
            return nil
        }
        guard let mul = inner(product, "Mul"), mul.inputs.count == 2 else { return nil }
        for (k, other) in [(0, 1), (1, 0)] {
            let x = mul.inputs[other]
            guard let clip = inner(mul.inputs[k], "Clip"), clip.inputs.count == 3, isScalar(clip.inputs[1], 0), isScalar(clip.inputs[2], 6),
                  let add = inner(clip.inputs[0], "Add"), add.inputs.count == 2,
                  (add.inputs[0] == x && isScalar(add.inputs[1], 3)) || (add.inputs[1] == x && isScalar(add.inputs[0], 3))
            else { continue }
            return (x, [product, mul.inputs[k], clip.inputs[0]])
        }
        return nil
    }
}
