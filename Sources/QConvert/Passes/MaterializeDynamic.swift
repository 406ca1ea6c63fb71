import QConvertIR

/// Dynamic quantization: int8 weights stored ahead of time, activations quantized at run time.
///
/// Why: no calibration data is needed, and a runtime (ONNX Runtime's MatMulInteger/ConvInteger)
/// still multiplies in integers; each activation gets the exact range of its own values.
///     Given:  y = MatMul(x, W)                     (W constant [K, N], per-column scales s_W)
///     Result: xq, sx, zx = DynamicQuantizeLinear(x)
///             acc = MatMulInteger(xq, Wq, zx, 0)  (int32);  y = Cast(acc, float) * (sx * s_W)
///     Given:  y = Conv(x, W, b)                    (per-output-channel scales s_W)
///     Result: acc = ConvInteger(xq, Wq + 128, zx, 128);  y = Cast(acc) * (sx * s_W[c]) + b
/// ConvInteger's weights are stored as uint8 with a single zero point 128: the type and the
/// per-tensor zero point ONNX Runtime's kernel takes. Gemm becomes MatMulInteger on op(B), with alpha folded into the scales and beta * C added.
/// Planned nodes with no integer form here (ConvTranspose) are left for
/// `MaterializeQDQ`, which stores their weights in int8 behind a DequantizeLinear (float compute).
public struct MaterializeDynamic: Pass {
    public let name = "materialize-dynamic"
    public let plan: QuantizationPlan

    public init(plan: QuantizationPlan) {
        self.plan = plan
    }

    /// Whether this pass turns a planned node into integer ops: Conv (ConvInteger), MatMul and Gemm
    /// (MatMulInteger; Gemm's rule already leaves out transA). ONNX has no integer ConvTranspose.
    public static func hasIntegerForm(_ node: Node) -> Bool {
        ["Conv", "MatMul", "Gemm"].contains(node.opType)
    }

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        var graph = model.graph
        var names = NameScope(graph)
        var rewritten: [Node] = []
        var quantizedInputs: [String: (q: String, scale: String, zero: String)] = [:]
        var count = 0
        for node in graph.nodes {
            guard Self.hasIntegerForm(node), let layout = try WeightLayout.of(node, graph: graph, plan: plan) else {
                rewritten.append(node)
                continue
            }
            let x = node.inputs[0], y = node.outputs[0]
            if quantizedInputs[x] == nil {
                let q = (names.fresh(x + "_quantized"), names.fresh(x + "_scale"), names.fresh(x + "_zero_point"))
                rewritten.append(Node(name: names.fresh(x + "_DynamicQuantizeLinear"), opType: "DynamicQuantizeLinear",
                                      inputs: [x], outputs: [q.0, q.1, q.2]))
                quantizedInputs[x] = q
            }
            let (xq, sx, zx) = quantizedInputs[x]!
            let quantized = layout.roundedToNearest().weight
            let accumulator = names.fresh(y + "_int32"), product = names.fresh(y + "_float")
            var scales = quantized.params.scales
            switch node.opType {
            case "Conv":
                // uint8 weights, zero point 128, one per output channel; scales shaped [1, C, 1...].
                let codes = quantized.tensor.integers()!.map { UInt8(truncatingIfNeeded: $0 + 128) }
                let weight = names.fresh(node.inputs[1] + "_uint8"), zero = names.fresh(node.inputs[1] + "_zero_point")
                graph.initializers[weight] = Tensor(shape: layout.weight.shape, scalars: codes)
                let channels = layout.weight.shape[0]
                // One zero point for all channels (ONNX Runtime's ConvInteger takes no other); the
                // per-channel scales are applied after, in float.
                graph.initializers[zero] = Tensor(scalar: UInt8(128))
                if scales.count == 1 { scales = Array(repeating: scales[0], count: channels) }
                var conv = Node(name: Self.layerName(node, names: &names, suffix: "_ConvInteger"), opType: "ConvInteger", inputs: [xq, weight, zx, zero],
                                outputs: [accumulator])
                conv.attributes = node.attributes
                rewritten.append(conv)
                let shape = [1, channels] + Array(repeating: 1, count: layout.weight.rank - 2)
                rewritten += scaleAndBias(node: node, accumulator: accumulator, product: product, sx: sx, scales: scales, shape: shape,
                                          bias: node.inputs.count > 2 && !node.inputs[2].isEmpty ? node.inputs[2] : nil, output: y,
                                          graph: &graph, names: &names)
            default:
                // MatMul (and Gemm) on W stored [K, N]: per-column scales shaped [N].
                var weightTensor = quantized.tensor
                let transB = node.opType == "Gemm" ? try node.int("transB", default: 0) != 0 : false
                if transB { weightTensor = weightTensor.transposedMatrix() }
                let alpha = node.opType == "Gemm" ? try node.float("alpha", default: 1) : 1
                let n = weightTensor.shape[1]
                if scales.count == 1 { scales = Array(repeating: scales[0], count: n) }
                scales = scales.map { $0 * alpha }
                let weight = names.fresh(node.inputs[1] + "_int8"), zero = names.fresh(node.inputs[1] + "_zero_point")
                graph.initializers[weight] = weightTensor
                graph.initializers[zero] = Tensor(shape: [n], scalars: [Int8](repeating: 0, count: n))
                rewritten.append(Node(name: Self.layerName(node, names: &names, suffix: "_MatMulInteger"), opType: "MatMulInteger",
                                      inputs: [xq, weight, zx, zero], outputs: [accumulator]))
                var bias: String?
                if node.opType == "Gemm", node.inputs.count > 2, !node.inputs[2].isEmpty {
                    let beta = try node.float("beta", default: 1)
                    guard let c = graph.initializers[node.inputs[2]]?.floats() else {
                        throw QConvertError("node '\(node.displayName)': dynamic quantization needs a constant C")
                    }
                    let cName = names.fresh(node.inputs[2] + "_scaled")
                    graph.initializers[cName] = Tensor(shape: graph.initializers[node.inputs[2]]!.shape, scalars: c.map { $0 * beta })
                    bias = cName
                }
                rewritten += scaleAndBias(node: node, accumulator: accumulator, product: product, sx: sx, scales: scales, shape: [n],
                                          bias: bias, output: y, graph: &graph, names: &names)
            }
            count += 1
        }
        graph.nodes = rewritten
        model.graph = graph
        if model.opsetVersion() ?? 0 < 11 { model.setOpsetVersion(11) }
        return PassReport(changes: count, summary: "\(count) nodes quantized dynamically")
    }

    /// y = Cast(acc, float) * (sx * scales) [+ bias].
    private func scaleAndBias(node: Node, accumulator: String, product: String, sx: String, scales: [Float], shape: [Int],
                              bias: String?, output: String, graph: inout Graph, names: inout NameScope) -> [Node] {
        let scaleName = names.fresh(node.displayName + "_weight_scale"), combined = names.fresh(node.displayName + "_scale")
        let floatAccumulator = names.fresh(accumulator + "_float")
        graph.initializers[scaleName] = Tensor(shape: shape, scalars: scales)
        var nodes = [
            Node(name: names.fresh(node.displayName + "_Cast"), opType: "Cast", inputs: [accumulator], outputs: [floatAccumulator],
                 attributes: [Attribute(name: "to", value: .int(Int64(DataType.float.rawValue)))]),
            Node(name: names.fresh(node.displayName + "_scale_Mul"), opType: "Mul", inputs: [sx, scaleName], outputs: [combined]),
        ]
        if let bias {
            nodes.append(Node(name: names.fresh(node.displayName + "_Mul"), opType: "Mul", inputs: [floatAccumulator, combined], outputs: [product]))
            var biasName = bias
            if let b = graph.initializers[bias], b.rank == 1, shape.count > 1 {
                biasName = names.fresh(bias + "_broadcast")
                graph.initializers[biasName] = b.reshaped(shape)
            }
            nodes.append(Node(name: names.fresh(node.displayName + "_Add"), opType: "Add", inputs: [product, biasName], outputs: [output]))
        } else {
            nodes.append(Node(name: names.fresh(node.displayName + "_Mul"), opType: "Mul", inputs: [floatAccumulator, combined], outputs: [output]))
        }
        return nodes
    }

    /// The integer node keeps the name of the layer it replaces (which leaves the graph), so that
    /// the report's rows name nodes `--exclude` accepts; an unnamed layer's gets a fresh one.
    static func layerName(_ node: Node, names: inout NameScope, suffix: String) -> String {
        node.name.isEmpty ? names.fresh(node.displayName + suffix) : node.name
    }
}
