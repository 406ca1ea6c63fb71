import CKernels
import QConvertIR

extension Ops {
    /// Conv: y[n, m, o] = b[m] + Σ_{c < C/G, k} w[m, c, k] · x[n, g·C/G + c, o·s − pad_begin + k·d],
    /// where g = m / (M/G) is output channel m's group and x reads as 0 outside the input.
    ///
    /// Two paths, chosen per run from the shapes: a depthwise conv (one input channel per group) runs
    /// the direct kernel `qc_depthwise`; every other conv is a GEMM on CKernels (`ConvGemm`), with the
    /// weights packed once at compile time when they are a constant.
    enum Conv: Operator {
        static let type = "Conv"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let constantWeights = context.constant(node, input: 1)
            if let w = constantWeights, w.dataType != .float {
                throw QConvertError("input W must be float32, got \(w.dataType)")
            }
            let packed = constantWeights.flatMap { w in
                w.rank >= 3 && w.shape[0] % groups == 0 && w.shape[1] != 1 ? PackedConvWeights(w, groups: groups) : nil
            }
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let w = try inputs.floatInput(1, "W")
                let bias = try inputs.optionalFloatInput(2, "B")
                let window = try checkShapes(x: x, w: w, bias: bias, groups: groups, attributes)
                return [convolve(x: x, w: w, packed: packed, bias: bias, groups: groups, window: window, threads: context.threads)]
            }
        }

        /// Checks X (N, C, spatial...), W (M, C/G, kernel...) and B (M) agree; returns the geometry.
        static func checkShapes(x: Tensor, w: Tensor, bias: Tensor?, groups: Int, _ attributes: WindowAttributes) throws -> SpatialWindow {
            guard x.rank >= 3 else { throw QConvertError("input X must have rank 3 or more (N, C, spatial...), got shape \(x.shape)") }
            guard w.rank == x.rank else { throw QConvertError("weights W of shape \(w.shape) must have the rank of X \(x.shape)") }
            try checkChannels(x.shape[1], perGroup: w.shape[1], groups: groups, weightShape: "\(w.shape)")
            guard w.shape[0] % groups == 0 else { throw QConvertError("\(w.shape[0]) output channels do not split into \(groups) groups") }
            if let bias, bias.shape != [w.shape[0]] {
                throw QConvertError("bias B must have shape [\(w.shape[0])], got \(bias.shape)")
            }
            return try attributes.window(input: Array(x.shape[2...]), kernel: Array(w.shape[2...]), leading: [x.shape[0], w.shape[0]])
        }

        /// X's channel count against what W [M, C/G, ...] reads with `groups` groups, at run time and in
        /// shape inference. Overflow-checked: group is an attribute, and W may be empty with any other dim.
        static func checkChannels(_ channels: Int, perGroup: Int, groups: Int, weightShape: String) throws {
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let (expected, overflow) = perGroup.multipliedReportingOverflow(by: groups)
            guard !overflow, channels == expected else {
                throw QConvertError("X has \(channels) channels but W \(weightShape) with group \(groups) expects \(overflow ? "more than \(Int.max)" : "\(expected)")")
            }
        }

        /// `packed`: W already packed (when it is a constant), else it is packed here.
        static func convolve(x: Tensor, w: Tensor, packed: PackedConvWeights?, bias: Tensor?, groups: Int, window: SpatialWindow, threads: Int) -> Tensor {
            let (batch, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
            return x.withElements(of: Float.self) { xs in
                Tensor(uninitializedShape: [batch, outChannels] + window.outputShape, of: Float.self) { ys in
                    guard ys.count > 0, let xp = xs.baseAddress, let yp = ys.baseAddress else { return ys.initialize(repeating: 0) }
                    withBias(bias) { biases in
                        if channels == groups {
                            w.withElements(of: Float.self) { ws in
                                depthwise(xp, ws.baseAddress!, biases, batch: batch, outChannels: outChannels,
                                          channels: channels, window: window, into: yp, threads: threads)
                            }
                        } else {
                            let gemm = ConvGemm(window: window, batch: batch, groups: groups, inPerGroup: channels / groups,
                                                outPerGroup: outChannels / groups)
                            gemm.run(xp, packed ?? PackedConvWeights(w, groups: groups), biases: biases, into: yp, threads: threads)
                        }
                    }
                }
            }
        }

        /// Calls `body` with the bias values, or nil when there is no bias.
        static func withBias<R>(_ bias: Tensor?, _ body: (UnsafePointer<Float>?) -> R) -> R {
            guard let bias else { return body(nil) }
            return bias.withElements(of: Float.self) { body($0.baseAddress) }
        }

        /// `qc_depthwise` over chunks of output planes (image, output channel).
        static func depthwise(
            _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ biases: UnsafePointer<Float>?, batch: Int, outChannels: Int,
            channels: Int, window: SpatialWindow, into y: UnsafeMutablePointer<Float>, threads: Int
        ) {
            let geometry = window.geometry(channels: 1)
            let scratchSize = withUnsafePointer(to: geometry) { qc_depthwise_scratch_size($0) }
            let planeWork = max(1, window.outputSize * window.kernelSize)
            Parallel.forEach(count: batch * outChannels, grain: max(1, (1 << 16) / planeWork), threads: threads) { planes in
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: scratchSize * 4, alignment: 64).bindMemory(to: Float.self, capacity: scratchSize)
                defer { scratch.deallocate() }
                withUnsafePointer(to: geometry) { g in
                    qc_depthwise(x, w, biases, g, Int32(outChannels), Int32(outChannels / channels), Int32(planes.lowerBound),
                                 Int32(planes.upperBound), y + planes.lowerBound * window.outputSize, scratch)
                }
            }
        }
    }
}

extension Ops.Conv: Quantizable {
    /// Quantized as compute: weight input 1 per output channel (axis 0), bias input 2 as int32.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard node.inputs.count >= 2, isConstant(node.inputs[1]) else { return QuantizationRule(.arithmetic, activationInputs: [0]) }
        return QuantizationRule(.compute(weight: 1, axis: 0, bias: node.inputs.count > 2 && !node.inputs[2].isEmpty ? 2 : nil))
    }
}

extension Ops.Conv: ShapeInferable {
    /// Y: [N, M, window over X's spatial dims], M and the kernel from W [M, C/G, kernel...].
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let w = query.shape(1) else { return [nil] }
        // A weight of another rank than X is refused at load by ONNX Runtime: a conflict, not an unknown.
        guard w.count == x.count else { throw QConvertError("W \(Dim.text(w)) has rank \(w.count) but X \(Dim.text(x)) has rank \(x.count); Conv needs them equal") }
        guard x.count >= 3, let kernel = Dim.numbers(Array(w[2...])) else { return [nil] }
        if case .value(let channels) = x[1], case .value(let perGroup) = w[1] {
            try checkChannels(channels, perGroup: perGroup, groups: try query.node.int("group", default: 1), weightShape: Dim.text(w))
        }
        let spatial = try WindowAttributes(query.node).outputDims(input: Array(x[2...]), kernel: kernel)
        return [ValueFacts(query.elementType(0) ?? .float, [x[0], w[0]] + spatial)]
    }
}
