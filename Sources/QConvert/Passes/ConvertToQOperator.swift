import QConvertIR

/// Rewrites a QDQ model's quantized groups as explicit integer operators (`--format qoperator`).
///
/// Why: runtimes without QDQ fusion (and tools that read quantized graphs literally) expect the
/// integer ops themselves; the QDQ form stays the default because every runtime can run it.
///     Given:  y = Conv(DQ(xq), DQ(Wq), DQ(bq)); [z = Relu(y)]; zq = QuantizeLinear(z, s, zp)
///     Result: zq = QLinearConv(xq, sx, zx, Wq, sW, zW, s, zp, bq)
///     Given:  y = MatMul(DQ(xq), DQ(Wq)); yq = QuantizeLinear(y, s, zp)
///     Result: yq = QLinearMatMul(xq, sx, zx, Wq, sW, zW, s, zp)
///     Given:  y = Reshape|Transpose|...(DQ(xq)); yq = QuantizeLinear(y, same s, same zp)
///     Result: yq = Reshape|Transpose|...(xq)             (run on the integers directly)
///     Given:  y = Add|Mul(DQ(aq), DQ(bq)); [z = Relu(y)]; zq = QuantizeLinear(z, s, zp)   (bq maybe an 8-bit scalar constant)
///     Result: zq = com.microsoft QLinearAdd|QLinearMul(aq, sa, za, bq, sb, zb, s, zp)
///     Given:  y = Concat|GlobalAveragePool|Sigmoid|LeakyRelu(DQ(xq)...); yq = QuantizeLinear(y, s, zp)
///     Result: yq = com.microsoft QLinearConcat|QLinearGlobalAveragePool|QLinearSigmoid|QLinearLeakyRelu
///             (ONNX Runtime's integer kernels for them, which its QDQ fusion also picks)
/// A fused Relu or Clip is dropped only where the output grid already clamps at the same bounds.
/// Quantize/dequantize pairs at float boundaries stay.
public struct ConvertToQOperator: Pass {
    public let name = "convert-to-qoperator"

    public init() {}

    /// ONNX Runtime's contrib domain, where its integer Add, Concat, pooling and activations live.
    static let microsoft = "com.microsoft"

    /// Ops that only move or select values, which run on integer tensors unchanged. (MaxPool and
    /// Resize would too, in ONNX Runtime, but qconvert's own kernels for them are float-only, and
    /// the report must be able to run the file; they keep their QDQ form.)
    static let integerPassThrough: Set<String> = ["Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Gather", "Identity"]

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var converted: [String: Int] = [:]
        var removed = Set<Int>()
        var replacements: [Int: Node] = [:]
        let producers = graph.producers(), consumers = graph.consumers()
        func node(producing value: String) -> Node? { producers[value].map { graph.nodes[$0] } }
        /// (q, scale, zero) of a DequantizeLinear reading a QuantizeLinear's output or an initializer;
        /// zero is "" when left out (int32 biases, symmetric int8 weights).
        func dequantized(_ value: String) -> (q: String, scale: String, zero: String, index: Int)? {
            guard let index = producers[value], graph.nodes[index].opType == "DequantizeLinear", graph.nodes[index].inputs.count >= 2 else { return nil }
            let dq = graph.nodes[index]
            return (dq.inputs[0], dq.inputs[1], dq.inputs.count > 2 ? dq.inputs[2] : "", index)
        }
        var names = NameScope(graph)
        var zeroPoints: [[Int]: String] = [:]
        /// A weight's zero point; one is written where its DequantizeLinear left it out (meaning 0
        /// of the int8 type), as QLinearConv and QLinearMatMul require it: zeros shaped as the scale.
        func zeroPoint(_ w: (q: String, scale: String, zero: String, index: Int)) -> String? {
            guard w.zero.isEmpty else { return w.zero }
            guard let shape = graph.initializers[w.scale]?.shape, graph.initializers[w.q]?.dataType == .int8 else { return nil }
            if let name = zeroPoints[shape] { return name }
            let name = names.fresh(MaterializeQDQ.zeroPointName(.int8, 0, shape: shape))
            graph.initializers[name] = Tensor(shape: shape, scalars: [Int8](repeating: 0, count: shape.reduce(1, *)))
            zeroPoints[shape] = name
            return name
        }
        /// The single QuantizeLinear reading `value` (directly, or after a droppable Relu/Clip). None
        /// for a value that is also a graph output: it must stay produced in float (the integer op
        /// would write only its quantized form).
        func quantizeAfter(_ value: String) -> (q: Node, qIndex: Int, skipped: Int?)? {
            guard let readers = consumers[value], readers.count == 1, !graph.isOutput(value) else { return nil }
            let reader = graph.nodes[readers[0]]
            if reader.opType == "QuantizeLinear" { return (reader, readers[0], nil) }
            guard ["Relu", "Clip"].contains(reader.opType), !graph.isOutput(reader.outputs[0]), let next = consumers[reader.outputs[0]], next.count == 1,
                  graph.nodes[next[0]].opType == "QuantizeLinear", clampIsImplied(reader, by: graph.nodes[next[0]], graph: graph)
            else { return nil }
            return (graph.nodes[next[0]], next[0], readers[0])
        }
        /// The integer form of an activation: a DequantizeLinear of a QuantizeLinear's output.
        func activation(_ value: String) -> (q: String, scale: String, zero: String, index: Int)? {
            guard let x = dequantized(value), node(producing: x.q)?.opType == "QuantizeLinear" else { return nil }
            return x
        }
        /// A DequantizeLinear of a one-element constant of `type` (the other operand's), with its zero point.
        func integerScalar(_ value: String, type: DataType?) -> (q: String, scale: String, zero: String, index: Int)? {
            guard let x = dequantized(value), !x.zero.isEmpty, let constant = graph.initializers[x.q], constant.count == 1,
                  constant.dataType == type else { return nil }
            return x
        }
        /// Puts `node`, writing the QuantizeLinear's output, in place of node `index`; that
        /// QuantizeLinear (and a Relu/Clip its grid implies) go.
        func replace(_ index: Int, with node: Node, output: (q: Node, qIndex: Int, skipped: Int?)) {
            var node = node
            node.outputs = output.q.outputs
            replacements[index] = node
            removed.insert(output.qIndex)
            if let skipped = output.skipped { removed.insert(skipped) }
            converted[node.opType, default: 0] += 1
        }
        /// ONNX Runtime's integer op `op` (com.microsoft) in place of node `index`.
        func microsoft(_ index: Int, _ op: String, _ inputs: [String], _ attributes: [Attribute] = []) -> Node {
            Node(name: graph.nodes[index].name, opType: op, domain: Self.microsoft, inputs: inputs, outputs: [], attributes: attributes)
        }
        for (index, n) in graph.nodes.enumerated() where !removed.contains(index) {
            guard n.isDefaultDomain else { continue }
            switch n.opType {
            case "Conv", "MatMul":
                guard let x = activation(n.inputs[0]), let w = dequantized(n.inputs[1]), graph.initializers[w.q] != nil,
                      let out = quantizeAfter(n.outputs[0])
                else { continue }
                var bias: [String] = []
                if n.opType == "Conv", n.inputs.count > 2, !n.inputs[2].isEmpty {
                    guard let b = dequantized(n.inputs[2]), graph.initializers[b.q]?.dataType == .int32 else { continue }
                    bias = [b.q]
                }
                guard let wZero = zeroPoint(w) else { continue }
                let inputs = [x.q, x.scale, x.zero, w.q, w.scale, wZero, out.q.inputs[1], out.q.inputs[2]] + bias
                replace(index, with: Node(name: n.name, opType: n.opType == "Conv" ? "QLinearConv" : "QLinearMatMul", inputs: inputs, outputs: [],
                                          attributes: n.opType == "Conv" ? n.attributes : []), output: out)
            case "Add", "Mul":
                // One operand may be an integer scalar constant (IntegerHardSwish's 3).
                guard n.inputs.count == 2, let a = activation(n.inputs[0]),
                      let b = activation(n.inputs[1]) ?? integerScalar(n.inputs[1], type: graph.initializers[a.zero]?.dataType),
                      let out = quantizeAfter(n.outputs[0]) else { continue }
                replace(index, with: microsoft(index, "QLinear" + n.opType, [a.q, a.scale, a.zero, b.q, b.scale, b.zero, out.q.inputs[1], out.q.inputs[2]]),
                        output: out)
            case "Concat":
                let xs = n.inputs.compactMap(activation)
                guard xs.count == n.inputs.count, let out = quantizeAfter(n.outputs[0]), out.skipped == nil else { continue }
                replace(index, with: microsoft(index, "QLinearConcat", [out.q.inputs[1], out.q.inputs[2]] + xs.flatMap { [$0.q, $0.scale, $0.zero] },
                                               n.attributes.filter { $0.name == "axis" }), output: out)
            case "GlobalAveragePool", "Sigmoid", "LeakyRelu":
                guard let x = activation(n.inputs[0]), let out = quantizeAfter(n.outputs[0]), out.skipped == nil else { continue }
                replace(index, with: microsoft(index, "QLinear" + n.opType, [x.q, x.scale, x.zero, out.q.inputs[1], out.q.inputs[2]],
                                               n.attributes.filter { $0.name == "alpha" }), output: out)
            case let op where Self.integerPassThrough.contains(op):
                guard let x = activation(n.inputs[0]), let out = quantizeAfter(n.outputs[0]), out.skipped == nil,
                      sameParameters(x.scale, x.zero, out.q.inputs[1], out.q.inputs[2], graph: graph),
                      n.outputs.count == 1 || n.outputs.dropFirst().allSatisfy(\.isEmpty)
                else { continue }
                var rewritten = n
                rewritten.inputs[0] = x.q
                replace(index, with: rewritten, output: out)
            default:
                continue
            }
        }
        graph.nodes = graph.nodes.enumerated().compactMap { index, node in
            removed.contains(index) ? nil : (replacements[index] ?? node)
        }
        model.graph = graph
        let total = converted.values.reduce(0, +)
        guard total > 0 else { return .unchanged }
        if graph.nodes.contains(where: { $0.domain == Self.microsoft }), model.opsetVersion(domain: Self.microsoft) == nil {
            model.setOpsetVersion(1, domain: Self.microsoft)
        }
        return PassReport(changes: total, summary: converted.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }

    /// Whether the QuantizeLinear's grid already clamps at the Relu's/Clip's bounds, so the
    /// activation can be dropped without changing a single integer.
    private func clampIsImplied(_ activation: Node, by quantize: Node, graph: Graph) -> Bool {
        guard let scale = graph.initializers[quantize.inputs[1]]?.floats()?.first,
              let zeroTensor = graph.initializers[quantize.inputs[2]], let zero = zeroTensor.integers()?.first,
              let range = AffineQuantization.range(of: zeroTensor.dataType)
        else { return false }
        let lowest = Float(range.lowerBound - zero) * scale, highest = Float(range.upperBound - zero) * scale
        var lower: Float = -.infinity, upper: Float = .infinity
        if activation.opType == "Relu" {
            lower = 0
        } else {
            if activation.inputs.count > 1, !activation.inputs[1].isEmpty {
                guard let v = graph.initializers[activation.inputs[1]]?.floats()?.first else { return false }
                lower = v
            }
            if activation.inputs.count > 2, !activation.inputs[2].isEmpty {
                guard let v = graph.initializers[activation.inputs[2]]?.floats()?.first else { return false }
                upper = v
            }
        }
        // The grid's lowest point must be the lower bound itself (0 maps to the zero point), and
        // its highest must not exceed the upper bound.
        return lowest == lower || (lower == -.infinity) ? highest <= upper : false
    }

    private func sameParameters(_ s1: String, _ z1: String, _ s2: String, _ z2: String, graph: Graph) -> Bool {
        guard let a = graph.initializers[s1], let b = graph.initializers[s2], let za = graph.initializers[z1], let zb = graph.initializers[z2]
        else { return false }
        return a == b && za == zb
    }
}
