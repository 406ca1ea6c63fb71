import QConvertIR

/// Where ONNX Runtime's fused integer kernels can compute something else than the Q/DQ graph says:
/// on x86 CPUs without VNNI, its u8 x s8 GEMM (vpmaddubsw) adds the products of two neighbouring
/// reduction elements in a saturating 16-bit lane, so a pair with |w_a x_a + w_b x_b| > 32767
/// clips. With 7-bit weights (|w| <= 63) no pair can (2 x 255 x 63 < 32767); with 8-bit weights a
/// pair can when the input's codes are large.
///
/// For each layer with uint8 activations and int8 weights (QDQ Conv/MatMul/Gemm, QLinearConv,
/// QLinearMatMul, QGemm), every pair (2j, 2j+1) of the reduction axis in the order ONNX Runtime packs
/// it (convolutions: spatial tap outer, input channel inner, as its QLinearConv reorders the filter;
/// MatMul: B's rows) is bounded over input codes in the observed range [qlo, qhi] (the codes of the
/// observed float min and max), each input free within it:
///     max |w_a x_a + w_b x_b| = max(f(w_a) + f(w_b), g(w_a) + g(w_b)),
///     f(w) = w qhi if w > 0 else w qlo,  g(w) = -(w qlo if w > 0 else w qhi)   (x >= 0)
/// A flagged layer can saturate on inputs in range; whether it does depends on the inputs seen
/// together. Depthwise convolutions are left out: ORT's depthwise kernel widens to 32 bits first.
public enum PairSaturation {
    public struct Layer: Codable, Sendable, Equatable {
        public var node: String
        public var opType: String
        /// The largest pair sum reachable, how many output channels can exceed 32767, and the
        /// input's code range [qlo, qhi].
        public var bound: Int
        public var channels: Int
        public var inputCodes: [Int]

        public init(node: String, opType: String, bound: Int, channels: Int, inputCodes: [Int]) {
            self.node = node
            self.opType = opType
            self.bound = bound
            self.channels = channels
            self.inputCodes = inputCodes
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// Whether this CPU has VNNI (then ONNX Runtime's kernels accumulate in 32 bits: no effect here).
        public var hasVNNI: Bool
        /// Layers checked (uint8 activations x int8 weights, not depthwise) and those that can saturate.
        public var checked: Int
        public var layers: [Layer]

        public init(hasVNNI: Bool, checked: Int, layers: [Layer]) {
            self.hasVNNI = hasVNNI
            self.checked = checked
            self.layers = layers
        }
    }

    public static let limit = 32767

    /// The largest |w_a x_a + w_b x_b| of one pair for codes x in [low, high] (low >= 0).
    public static func pairBound(_ a: Int64, _ b: Int64, low: Int64, high: Int64) -> Int64 {
        func f(_ w: Int64) -> Int64 { w > 0 ? w * high : w * low }
        func g(_ w: Int64) -> Int64 { -(w > 0 ? w * low : w * high) }
        return max(f(a) + f(b), g(a) + g(b))
    }

    /// One output channel's weights in the order ONNX Runtime's kernel reduces over.
    public static func reductionOrder(_ values: [Int64], shape: [Int], opType: String, axis: Int, channel c: Int) -> [Int64] {
        if ["Conv", "QLinearConv"].contains(opType), shape.count >= 3 {
            // [Cout, Cin/g, k...]: ORT reorders to (k, ic) with the input channel fastest.
            let inputs = shape[1], taps = shape[2...].reduce(1, *), base = c * inputs * taps
            return (0..<taps).flatMap { k in (0..<inputs).map { ic in values[base + ic * taps + k] } }
        }
        let outer = shape[..<axis].reduce(1, *), count = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        return (0..<outer).flatMap { o in (0..<inner).map { i in values[(o * count + c) * inner + i] } }
    }

    /// Checks every unit of `graph`; `ranges` are the observed float [min, max] of the activations.
    public static func check(_ graph: QuantizedGraph, model: Model, ranges: [String: ClosedRange<Float>]) -> Result {
        var result = Result(hasVNNI: CPUFeatures.hasVNNI, checked: 0, layers: [])
        for unit in graph.units {
            let node = model.graph.nodes[unit.index]
            guard ["Conv", "MatMul", "Gemm", "QLinearConv", "QLinearMatMul", "QGemm"].contains(node.opType),
                  let weight = unit.weights.first, let codes = model.graph.initializers[weight.quantized], codes.dataType == .int8,
                  let input = unit.inputs.first, let params = graph.params(input.grid, in: model.graph), params.type == .uint8,
                  params.axis == nil, !LayerEvidence.isDepthwise(node, weight: codes), let values = codes.integers() else { continue }
            result.checked += 1
            let scale = params.scales[0], zero = Int64(params.zeroPoints[0])
            var low: Int64 = 0, high: Int64 = 255
            if let range = input.source.flatMap({ ranges[$0] }) {
                low = AffineQuantization.quantize(range.lowerBound, scale: scale, zeroPoint: zero, range: 0...255)
                high = AffineQuantization.quantize(range.upperBound, scale: scale, zeroPoint: zero, range: 0...255)
            }
            let axis = LayerEvidence.outputChannelAxis(node, rank: codes.rank)
            var bound: Int64 = 0, over = 0
            for c in 0..<codes.shape[axis] {
                let channel = reductionOrder(values, shape: codes.shape, opType: node.opType, axis: axis, channel: c)
                var worst: Int64 = 0
                for j in stride(from: 0, to: channel.count, by: 2) {
                    worst = max(worst, pairBound(channel[j], j + 1 < channel.count ? channel[j + 1] : 0, low: low, high: high))
                }
                bound = max(bound, worst)
                if worst > limit { over += 1 }
            }
            if over > 0 {
                result.layers.append(Layer(node: unit.node, opType: node.opType, bound: Int(bound), channels: over, inputCodes: [Int(low), Int(high)]))
            }
        }
        return result
    }

    /// One line for the report. `weightBits`, the run's setting where known: at 7 (given, or `auto`
    /// on a CPU without VNNI) only a config entry can have set a layer to 8 bits, so the remedy
    /// points there rather than at the flag.
    public static func warning(_ result: Result, weightBits: Int? = nil) -> String? {
        guard !result.layers.isEmpty else { return nil }
        let cpu = result.hasVNNI ? "this CPU has VNNI, so ONNX Runtime is exact here" : "this CPU has no VNNI: expect differences from the Q/DQ graph"
        let remedy = weightBits == 7 ? "those layers have 8-bit weights by --config: give them \"weight_bits\": 7" : "qconvert --weight-bits 7"
        return "\(result.layers.count) of \(result.checked) uint8 x int8 layers can overflow ONNX Runtime's 16-bit pair sums on CPUs without VNNI (\(cpu)); 7-bit weights avoid it (\(remedy))"
    }
}
