import Glibc
import QConvertIR

/// Measurable facts about one quantized layer that explain a loss of precision: what the diagnosis
/// reads (`LayerDiagnosis`), kept in the report so a reader can check the reasoning.
public struct LayerEvidence: Codable, Sendable, Equatable {
    /// Percent of the observed values beyond 1/8 of the output grid's range on their side of zero:
    /// when tiny, a few outliers set the scale and every other value shares 1/8 of the levels.
    public var outlierPercent: Double?
    /// Output channels, and how many of them span fewer than `tinyChannelSteps` quantization steps.
    public var channels: Int?
    public var tinyChannels: Int?
    /// A grouped convolution with one input channel per group (each output channel has its own filter).
    public var depthwise = false
    /// For a Concat: each input's observed span (max - min), by input value.
    public var inputSpans: [String: Double]?
    /// Weight bits (from the plan, or the largest |code| written: 63 or less means 7) and layout.
    public var weightBits: Int?
    public var weightPerChannel: Bool?
    /// Per-tensor weights: the output channel reaching the fewest levels (largest |code|), and that count.
    public var narrowestWeightChannel: Int?
    public var narrowestWeightLevels: Int?
    /// Worst channel's SQNR if the float weight were rounded to nearest on the written grid: the
    /// grid's resolution, apart from how the integers were chosen (GPTQ trades weight SQNR for
    /// output SQNR on purpose, so the written weights' own SQNR can be low in a healthy layer).
    public var weightGridSQNR: Double?
    /// The layer's output as its grid sees it (per-tensor grids): how much of the signal the grid
    /// keeps and how much of the loss is clipping, which can dominate while under 1% of the values
    /// saturate (yolov8n's first SiLU: 0.35% clipped above 16).
    public var output: Input?
    /// The layer's quantized activation inputs, each as its grid sees it. A layer's local error
    /// includes its inputs' quantization, so a poor layer may owe it to an input's grid, whether
    /// another row reports that value (yolov8n's second convolution reads the clipped SiLU above)
    /// or its producer stays float (a Pow before a MatMul) and nothing else measures it.
    public var inputs: [Input]?
    /// Whether the layer reads a value computed from another quantized layer's output. False when
    /// only float ops lie between it and the model's inputs: no error is inherited, whatever its
    /// local error (measured on fewer samples) says against its accumulated one.
    public var quantizedUpstream: Bool?
    /// Of the quantized layers whose output reaches this one, the one with the lowest local SQNR
    /// (its own error, on float inputs), and that SQNR: where an inherited error most likely starts.
    public var poorestUpstream: String?
    public var poorestUpstreamSQNR: Double?
    /// Other layers that read this layer's output on its grid: while they stay int8 the value stays
    /// quantized, so keeping this layer alone float would not remove its error (ppocrv4_rec's
    /// Concat feeding a convolution; a float Mul whose output that Concat reads).
    public var int8Readers: [String]?

    /// One activation value (a layer's input or output): percent of its observed values clipped by its grid (outside
    /// `LayerwiseAnalysis.clippingBounds`: more than half a step beyond an end, as the zero point's
    /// rounding can leave the data's minimum just outside and those round to the end anyway; none
    /// below a grid starting at 0, nor below one reaching the value's floor), its outlier share (as `outlierPercent`, on the value's own
    /// grid), and the SQNR its grid is expected to keep (rounding noise s^2/12 inside, squared
    /// distance outside, over its distribution, as the MSE observer counts it) with the share of that
    /// error from clipping: a few clipped values can hold most of a heavy-tailed value's energy.
    public struct Input: Codable, Sendable, Equatable {
        public var value: String
        public var saturationPercent: Double
        public var outlierPercent: Double
        public var gridSQNR: Double
        public var clippingErrorPercent: Double

        public init(value: String, saturationPercent: Double, outlierPercent: Double, gridSQNR: Double, clippingErrorPercent: Double) {
            self.value = value
            self.saturationPercent = saturationPercent
            self.outlierPercent = outlierPercent
            self.gridSQNR = gridSQNR
            self.clippingErrorPercent = clippingErrorPercent
        }

        /// The evidence for `value` from its distribution and the grid it is quantized on; nil for a
        /// constant value (all values equal: nothing to lose) or a per-axis grid. With a `floor`
        /// (`ReaderFloor`) the distribution is the values raised to it, as the readers see them.
        public init?(value: String, histogram: Histogram, grid: QuantParams, floor: Float? = nil) {
            let range = grid.coveredRange
            let histogram = floor.map { histogram.raised(to: $0) } ?? histogram
            guard grid.axis == nil, histogram.min < histogram.max,
                  let clipped = LayerEvidence.saturationPercent(histogram, range: LayerwiseAnalysis.clippingBounds(grid, floor: floor)),
                  let outliers = LayerEvidence.outlierPercent(histogram, range: range) else { return nil }
            let model = MSEObserver.ErrorModel(BinnedDistribution(histogram))
            guard model.energy > 0 else { return nil }
            let error = model.error(step: Double(grid.scales[0]), low: Double(range.lowerBound), high: Double(range.upperBound))
            let total = error.rounding + error.clipping
            self.init(value: value, saturationPercent: clipped, outlierPercent: outliers,
                      gridSQNR: total > 0 ? 10 * log10(model.energy / total) : .infinity,
                      clippingErrorPercent: total > 0 ? 100 * error.clipping / total : 0)
        }
    }

    public init() {}

    /// A channel spanning fewer steps than this holds at most this many distinct levels.
    public static let tinyChannelSteps: Float = 4

    /// Percent of `histogram`'s values outside `[range.lowerBound / 8, range.upperBound / 8]`
    /// (the range includes 0). Counted by bin centre, so exact to one bin of 2048.
    public static func outlierPercent(_ histogram: Histogram, range: ClosedRange<Float>) -> Double? {
        outsidePercent(histogram, low: Double(range.lowerBound) / 8, high: Double(range.upperBound) / 8)
    }

    /// Percent of `histogram`'s values outside `range` (clipped by a grid covering it), by bin centre.
    public static func saturationPercent(_ histogram: Histogram, range: ClosedRange<Float>) -> Double? {
        outsidePercent(histogram, low: Double(range.lowerBound), high: Double(range.upperBound))
    }

    private static func outsidePercent(_ histogram: Histogram, low: Double, high: Double) -> Double? {
        guard histogram.count > 0, high > low else { return nil }
        let first = histogram.binIndex(of: histogram.min), last = histogram.binIndex(of: histogram.max)
        var outside = 0
        for index in first...last {
            let centre = (Double(index) + 0.5) * histogram.binWidth
            if centre > high || centre < low { outside += histogram.count(atIndex: index) }
        }
        return 100 * Double(outside) / Double(histogram.count)
    }

    /// Channels whose span is under `tinyChannelSteps` steps of `scale`.
    public static func tinyChannels(_ ranges: [ClosedRange<Float>], scale: Float) -> Int {
        ranges.filter { $0.upperBound - $0.lowerBound < tinyChannelSteps * scale }.count
    }

    /// The output channel with the smallest largest |code - zero point| of a per-tensor weight.
    public static func narrowestChannel(codes: Tensor, zeroPoint: Int64, axis: Int) -> (channel: Int, levels: Int)? {
        guard axis < codes.rank, let values = codes.integers() else { return nil }
        let index = AffineQuantization.ParameterIndex(axis: axis, shape: codes.shape)
        var largest = [Int64](repeating: 0, count: codes.shape[axis])
        for i in values.indices { largest[index(i)] = max(largest[index(i)], abs(values[i] - zeroPoint)) }
        guard let channel = largest.indices.min(by: { largest[$0] < largest[$1] }) else { return nil }
        return (channel, Int(largest[channel]))
    }

    /// Output-channel axis of a weight of rank `rank` read by `node`: 0 for convolutions and Gemm
    /// with transB, 1 for ConvTranspose, the last for MatMul-like ops (B is [K, N]).
    static func outputChannelAxis(_ node: Node, rank: Int) -> Int {
        switch node.opType {
        case "Conv", "QLinearConv", "ConvInteger": 0
        case "ConvTranspose": 1
        case "Gemm", "QGemm": Ops.Gemm.transposesB(node) ? 0 : rank - 1
        default: rank - 1
        }
    }

    /// Whether `node` is a depthwise convolution: group == input channels == weight's output channels.
    static func isDepthwise(_ node: Node, weight: Tensor?) -> Bool {
        guard ["Conv", "QLinearConv"].contains(node.opType), let weight, weight.rank >= 3,
              let group = try? node.int("group", default: 1), group > 1 else { return false }
        return weight.shape[1] == 1 && weight.shape[0] == group
    }
}
