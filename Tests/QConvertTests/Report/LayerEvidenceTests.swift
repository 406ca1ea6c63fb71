@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The measurements behind the diagnosis and the runtime warning, on inputs whose answer is known
/// by hand.
@Suite struct LayerEvidenceTests {
    @Test func outlierPercentCountsValuesBeyondAnEighthOfTheRange() throws {
        // 9,999 values in [0, 1) and one at 100: the range is [0, 100]; only the 100 lies beyond 12.5.
        var histogram = Histogram()
        histogram.add((0..<9_999).map { Float($0) / 10_000 } + [100])
        let percent = try #require(LayerEvidence.outlierPercent(histogram, range: 0...100))
        #expect(abs(percent - 0.01) < 1e-9)
        // Evenly spread values: 7/8 of them lie beyond 1/8 of the range.
        var even = Histogram()
        even.add((0..<8_000).map { Float($0) / 80 })
        let spread = try #require(LayerEvidence.outlierPercent(even, range: 0...100))
        #expect(abs(spread - 87.5) < 0.2)
        // Two-sided: beyond -2 or beyond 3 of the range [-16, 24].
        var sides = Histogram()
        sides.add([-10, -1, 0, 1, 2, 20])
        #expect(LayerEvidence.outlierPercent(sides, range: -16...24).map { abs($0 - 100 * 2 / 6) < 1e-9 } == true)
    }

    @Test func inputGridSQNRCountsRoundingInsideAndClippingOutside() throws {
        // 10,000 values spread over [0, 1) on the uint8 grid covering [0, 1] (step 1/255): no clipping,
        // rounding noise s^2/12 against a mean square of 1/3: 10 log10(4 * 255^2) = 54.15 dB.
        let grid = QuantParams.covering(lower: 0, upper: 1, type: .uint8, symmetric: false)
        var spread = Histogram()
        spread.add((0..<10_000).map { Float($0) / 10_000 })
        let clean = try #require(LayerEvidence.Input(value: "x", histogram: spread, grid: grid))
        #expect(abs(clean.gridSQNR - 54.15) < 0.05)
        #expect(clean.clippingErrorPercent == 0 && clean.saturationPercent == 0)
        // Ten more values at 1000, clipped to 1: their error 10 * 999^2 swamps the rounding, and the
        // energy is 10^7 + 10,000/3: 10 log10((10^7 + 3,333) / 9,980,010) = 0.0101 dB.
        var tailed = Histogram()
        tailed.add((0..<10_000).map { Float($0) / 10_000 } + Array(repeating: 1000, count: 10))
        let clipped = try #require(LayerEvidence.Input(value: "x", histogram: tailed, grid: grid))
        #expect(abs(clipped.gridSQNR - 0.0101) < 0.002)
        #expect(clipped.clippingErrorPercent > 99.99)
        #expect(abs(clipped.saturationPercent - 100 * 10 / 10_010) < 1e-9)
        // HardSwish-like data: half the values at -0.4, the rest spread over [0, 31]. The grid of step
        // 1/8 with zero point 3 starts at -0.375, 0.025 above the mass: under half a step, so those
        // round to the end like any value (not clipped). With zero point 2 it starts at -0.25: clipped.
        var massBelow = Histogram()
        massBelow.add(Array(repeating: -0.4, count: 5_000) + (0..<5_000).map { Float($0) / 160 })
        func hardSwishGrid(zeroPoint: Int32) -> QuantParams { QuantParams(type: .uint8, scales: [0.125], zeroPoints: [zeroPoint]) }
        #expect(try #require(LayerEvidence.Input(value: "x", histogram: massBelow, grid: hardSwishGrid(zeroPoint: 3))).saturationPercent == 0)
        #expect(try #require(LayerEvidence.Input(value: "x", histogram: massBelow, grid: hardSwishGrid(zeroPoint: 2))).saturationPercent >= 50)
        // A constant input has nothing to lose.
        var constant = Histogram()
        constant.add(Array(repeating: 0, count: 100))
        #expect(LayerEvidence.Input(value: "x", histogram: constant, grid: grid) == nil)
    }

    @Test func tinyChannelsSpanFewerThanFourSteps() {
        let ranges: [ClosedRange<Float>] = [0...10, 0...0.03, -0.01...0.01, 0...0.05]
        // scale 0.01: 4 steps = 0.04; 0.03 and 0.02 are under it, 0.05 and 10 are not.
        #expect(LayerEvidence.tinyChannels(ranges, scale: 0.01) == 2)
    }

    @Test func narrowestWeightChannel() throws {
        // [3 output channels, 2 inputs]: largest |code| per channel 127, 4, 60.
        let codes = Tensor(shape: [3, 2], scalars: [Int8(127), -5, 4, -2, 0, -60])
        let narrow = try #require(LayerEvidence.narrowestChannel(codes: codes, zeroPoint: 0, axis: 0))
        #expect(narrow.channel == 1 && narrow.levels == 4)
        // The same weight as [K, N] (MatMul): channels are columns 0 and 1 over rows.
        let columns = try #require(LayerEvidence.narrowestChannel(codes: codes, zeroPoint: 0, axis: 1))
        #expect(columns.channel == 1 && columns.levels == 60)
    }

    @Test func pairBoundByHand() {
        // Two positive weights, inputs up to 255: 127*255 + 127*255.
        #expect(PairSaturation.pairBound(127, 127, low: 0, high: 255) == 64_770)
        // Opposite signs cancel: the worst is one weight at the top code and the other at the bottom.
        #expect(PairSaturation.pairBound(127, -127, low: 0, high: 255) == 32_385)
        // Codes from 10: 127*10 + (-127*10)... the negative side: -(-127*255) - (127*10) = 31,115.
        #expect(PairSaturation.pairBound(127, -127, low: 10, high: 255) == 31_115)
        // 7-bit weights never reach 32767.
        #expect(PairSaturation.pairBound(63, 63, low: 0, high: 255) == 32_130)
    }

    @Test func reductionOrderIsTapOuterInputChannelInner() {
        // Conv weight [1 output, 2 inputs, 1, 2 taps] = [ic0: k0 k1, ic1: k0 k1].
        #expect(PairSaturation.reductionOrder([1, 2, 3, 4], shape: [1, 2, 1, 2], opType: "Conv", axis: 0, channel: 0) == [1, 3, 2, 4])
        // MatMul B [K=3, N=2], channel 1 = column 1.
        #expect(PairSaturation.reductionOrder([1, 2, 3, 4, 5, 6], shape: [3, 2], opType: "MatMul", axis: 1, channel: 1) == [2, 4, 6])
    }

    /// x -> Q -> DQ -> Conv(W) -> Q -> DQ with 8-bit weights: flagged only where a pair of
    /// neighbouring input channels holds two large weights of one sign and the input codes reach 255.
    @Test func flagsLayersWhosePairsCanOverflow() throws {
        func model(weights: [Int8], group: Int = 1) -> Model {
            var b = GraphBuilder()
            let inputs = group == 1 ? 2 : group
            let x = b.input("x", [1, inputs, 4, 4])
            b.constant("sx", Tensor(scalar: Float(0.05)))
            b.constant("zx", Tensor(scalar: UInt8(0)))
            b.constant("wq", Tensor(shape: [weights.count / (group == 1 ? 2 : 1), group == 1 ? 2 : 1, 1, 1], scalars: weights))
            b.constant("sw", Tensor(shape: [weights.count / (group == 1 ? 2 : 1)], scalars: [Float](repeating: 0.01, count: weights.count / (group == 1 ? 2 : 1))))
            let xq = b.node("QuantizeLinear", [x, "sx", "zx"], name: "x_QuantizeLinear")
            let xd = b.node("DequantizeLinear", [xq, "sx", "zx"], name: "x_DequantizeLinear")
            let wd = b.node("DequantizeLinear", ["wq", "sw"], ["axis": .int(0)], name: "w_DequantizeLinear")
            let y = b.node("Conv", [xd, wd], ["group": .int(Int64(group))], name: "conv")
            let yq = b.node("QuantizeLinear", [y, "sx", "zx"], name: "y_QuantizeLinear")
            b.output(b.node("DequantizeLinear", [yq, "sx", "zx"], name: "y_DequantizeLinear"))
            return b.model
        }
        var floatBuilder = GraphBuilder()
        floatBuilder.input("x", [1, 2, 4, 4])
        let float = floatBuilder.model
        let ranges: [String: ClosedRange<Float>] = ["x": 0...12.75]  // codes 0...255
        // Channel 0: (127, 127) overflows; channel 1: (127, -127) does not.
        let risky = model(weights: [127, 127, 127, -127])
        let flagged = PairSaturation.check(QuantizedGraph(quantized: risky.graph, float: float.graph), model: risky, ranges: ranges)
        #expect(flagged.checked == 1 && flagged.layers.map(\.node) == ["conv"] && flagged.layers[0].channels == 1)
        #expect(flagged.layers[0].bound == 64_770 && flagged.layers[0].inputCodes == [0, 255])
        // Half the input range: codes 0...128, 2*127*128 = 32512 fits.
        let half = PairSaturation.check(QuantizedGraph(quantized: risky.graph, float: float.graph), model: risky, ranges: ["x": 0...6.4])
        #expect(half.checked == 1 && half.layers.isEmpty)
        // Depthwise: ORT widens to 32 bits, not checked.
        let depthwise = model(weights: [127, 127], group: 2)
        #expect(PairSaturation.check(QuantizedGraph(quantized: depthwise.graph, float: float.graph), model: depthwise, ranges: ranges).checked == 0)
    }

    /// Channels are axis 1 of what convolutions and pools produce at any rank (a 1-D Conv's [N, C, L]),
    /// the last axis of rank-3 token tensors from other ops.
    @Test func channelAxisFollowsTheProducer() {
        #expect(LayerwiseAnalysis.channelAxis(rank: 3, producedBy: "Conv") == 1)
        #expect(LayerwiseAnalysis.channelAxis(rank: 3, producedBy: "MatMul") == 2)
        #expect(LayerwiseAnalysis.channelAxis(rank: 4, producedBy: "Add") == 1)
        #expect(LayerwiseAnalysis.channelAxis(rank: 1, producedBy: "Conv") == nil)
    }

    /// Saturation counts values a QuantizeLinear clips beyond its rounding: past half a step outside
    /// the grid, and never below a grid starting at 0 (a ReLU, folded into the QuantizeLinear by ORT).
    @Test func clippingBoundsOfAGrid() {
        // uint8, step 1/8, zero point 3: grid [-0.375, 31.5], clipped below -0.4375 and above 31.5625.
        #expect(LayerwiseAnalysis.clippingBounds(QuantParams(type: .uint8, scales: [0.125], zeroPoints: [3])) == -0.4375...31.5625)
        // Zero point at qmin: the grid starts at 0, and nothing below it counts.
        let relu = LayerwiseAnalysis.clippingBounds(QuantParams(type: .int8, scales: [0.5], zeroPoints: [-128]))
        #expect(relu.lowerBound == -.infinity && relu.upperBound == 127.75)
    }
}
