import QConvertTestSupport
import Testing

/// The golden comparison itself: each tolerance lets through what it should and nothing more, so a
/// passing GoldenMetricsTests means the run is within those bounds.
@Suite struct GoldenComparisonTests {
    let golden = GoldenMetrics(
        method: "auto: mse",
        nodes: [.init(node: "conv", opType: "Conv", quantized: true), .init(node: "sm", opType: "Softmax", quantized: false)],
        parameters: [.init(value: "x_dq", scales: [0.02], zeroPoints: [128]), .init(value: "w", scales: [0.5, 0.25], zeroPoints: [0, 0])],
        sqnr: [.init(output: "y", db: 30)])

    @Test func identicalRunPasses() {
        #expect(golden.regressions(from: golden).isEmpty)
    }

    @Test func sqnrDropBeyondHalfADecibelFails() {
        var run = golden
        run.sqnr[0].db = 29.6
        #expect(run.regressions(from: golden).isEmpty)
        run.sqnr[0].db = 29.4
        #expect(run.regressions(from: golden) == ["output y: SQNR 29.40 dB, golden 30.00 dB (drop > 0.5 dB)"])
        run.sqnr[0].db = 40
        #expect(run.regressions(from: golden).isEmpty)
    }

    @Test func placementChangeFailsEitherWay() {
        var run = golden
        run.nodes[0].quantized = false
        run.nodes[1].quantized = true
        #expect(run.regressions(from: golden) == ["node conv (Conv): float, golden quantized", "node sm (Softmax): quantized, golden float"])
    }

    @Test func scaleMoveBeyondOnePercentFails() {
        var run = golden
        run.parameters[1].scales[1] = 0.25 * 1.009
        #expect(run.regressions(from: golden).isEmpty)
        run.parameters[1].scales[1] = 0.25 * 0.98
        #expect(run.regressions(from: golden).count == 1)
        #expect(run.regressions(from: golden).first?.hasPrefix("w: scale[1] 0.245, golden 0.25") == true)
    }

    @Test func zeroPointMoveBeyondOneCodeFails() {
        var run = golden
        run.parameters[0].zeroPoints[0] = 129
        #expect(run.regressions(from: golden).isEmpty)
        run.parameters[0].zeroPoints[0] = 130
        #expect(run.regressions(from: golden) == ["x_dq: zero point[0] 130, golden 128"])
    }

    @Test func addedOrMissingNodesAndPairsFail() {
        var run = golden
        run.nodes.append(.init(node: "extra", opType: "Relu", quantized: false))
        run.parameters.removeFirst()
        #expect(Set(run.regressions(from: golden)) == ["node extra: not in golden", "x_dq: DequantizeLinear missing"])
    }
}
