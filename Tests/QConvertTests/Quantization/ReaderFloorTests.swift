@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing
import Glibc

/// Where an activation's readers stop telling values apart, and what the planner and the report do
/// with it; the floors are those of the ops' definitions (HardSwish(x) = 0 for x <= -3...).
@Suite struct ReaderFloorTests {
    func conv(_ b: inout GraphBuilder, _ x: String, _ r: inout RandomTensors, name: String) -> String {
        b.node("Conv", [x, b.constant(name + "_w", r.normal([4, 4, 1, 1]))], name: name)
    }

    @Test func eachReaderSetsItsFloorAndAnyOtherReaderNone() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 4, 2, 2])
        let shift = Tensor(shape: [1, 4, 1, 1], scalars: [Float(1), 2, 0.5, -1])
        let swished = conv(&b, x, &r, name: "a")
        let shifted = conv(&b, x, &r, name: "b"), subtracted = conv(&b, x, &r, name: "c"), mixed = conv(&b, x, &r, name: "d")
        let clipped = conv(&b, x, &r, name: "e"), gated = conv(&b, x, &r, name: "f"), both = conv(&b, x, &r, name: "g")
        let output = conv(&b, x, &r, name: "h"), written = conv(&b, x, &r, name: "i")
        let lo = b.constant("lo", Tensor(scalar: Float(0.5))), hi = b.constant("hi", Tensor(scalar: Float(6)))
        let shiftNode = b.node("Constant", [], ["value": .tensor(shift)])
        b.output(b.node("HardSwish", [swished]),
                 b.node("HardSwish", [b.node("Add", [shiftNode, shifted])]),
                 b.node("Relu", [b.node("Sub", [subtracted, b.constant("shift2", shift)])]),
                 b.node("HardSwish", [mixed]), conv(&b, mixed, &r, name: "d2"),
                 b.node("Clip", [clipped, lo, hi]),
                 b.node("HardSigmoid", [gated], ["alpha": .float(0.25), "beta": .float(0.5)]),
                 b.node("HardSwish", [both]), b.node("Relu", [both]),
                 output, b.node("Relu", [output]),
                 b.node("Mul", [b.node("HardSigmoid", [written], ["alpha": .float(1 / 6)]), written]))
        let floors = ReaderFloor.all(in: b.model.graph)
        // HardSwish: -3. After Add(shift) (the shift first, from a Constant node): -3 - max(shift) = -5.
        // Relu after Sub(shift): 0 + min(shift) = -1.
        // Clip: its min. HardSigmoid: -beta / alpha = -2. Two readers: the lower floor. HardSwish
        // written out as x * HardSigmoid(x) with alpha 1/6: -0.5 * 6 = -3.
        #expect(floors[swished] == -3 && floors[shifted] == -5 && floors[subtracted] == -1)
        #expect(floors[clipped] == 0.5 && floors[gated] == -2 && floors[both] == -3 && floors[written] == -3)
        // A Conv reads it too, or it is a graph output: values below matter.
        #expect(floors[mixed] == nil && floors[output] == nil && floors[x] == nil)
    }

    /// Plans Conv -> HardSwish -> Conv with every value calibrated over `range`.
    func planHardSwish(range: ClosedRange<Float>, options: QuantizationOptions = QuantizationOptions()) throws
        -> (plan: QuantizationPlan, convOutput: String, hardSwishOutput: String) {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [1, 4, 2, 2])
        let swished = b.node("HardSwish", [conv(&b, x, &r, name: "c1")])
        b.output(conv(&b, swished, &r, name: "c2"))
        let prepared = try Preparation.run(b.model)
        var ranges: [String: ClosedRange<Float>] = [x: range]
        for node in prepared.model.graph.nodes { for output in node.outputs { ranges[output] = range } }
        let plan = try QuantizationPlanner(model: prepared.model, units: prepared.context.units, ranges: ranges, options: options).plan()
        return (plan, try #require(plan.nodes.first { $0.node == "c1" }?.output), swished)
    }

    /// A Conv's output read by a HardSwish, calibrated over [-15, 10]: its grid starts a step under
    /// -3, so every value the HardSwish maps to 0 still dequantizes to -3 or below, on levels
    /// (10 + 3) / 255 apart instead of 25 / 255.
    @Test func aGridStartsAtItsFloorWithItsLowestLevelBelowIt() throws {
        let (plan, y, swished) = try planHardSwish(range: -15...10)
        #expect(plan.floors == [y: -3])
        let grid = try #require(plan.points[y])
        let lowest = grid.coveredRange.lowerBound, step = grid.scales[0]
        #expect(lowest <= -3 && lowest > -3 - 2 * step)
        #expect(abs(step - 13 / 255 * (1 + 1 / Float(255))) < 1e-6)
        #expect(grid.coveredRange.upperBound >= 10 - step / 2)
        // The HardSwish's own output is read by a Conv: its grid covers the whole range.
        let whole = try #require(plan.points[swished])
        #expect(whole.coveredRange.lowerBound <= -15 + whole.scales[0] / 2)
    }

    /// On int8 activations, asymmetric or symmetric, the lowest level is at or under the floor too;
    /// a floor at or above the calibrated range changes nothing.
    @Test func otherGridsKeepTheirLowestLevelUnderTheFloor() throws {
        for symmetric in [false, true] {
            var options = QuantizationOptions()
            options.activationType = .int8
            options.symmetricActivations = symmetric
            let (plan, y, _) = try planHardSwish(range: -15...10, options: options)
            let grid = try #require(plan.points[y])
            #expect(grid.coveredRange.lowerBound <= -3, "symmetric: \(symmetric)")
            #expect(grid.scales[0] < (symmetric ? 15 : 25) / Float(symmetric ? 127 : 255), "symmetric: \(symmetric)")
        }
        let (plan, y, _) = try planHardSwish(range: -2...10)
        #expect(plan.floors.isEmpty && plan.points[y] == QuantParams.covering(lower: -2, upper: 10, type: .uint8, symmetric: false))
    }

    @Test func theReportComparesValuesRaisedToTheFloor() throws {
        // Reference [-5, 1], test [-4, 1.5]: raised to -3 both start at -3, leaving the 0.5 apart:
        // SQNR 10 log10((9 + 1) / 0.25) = 16.02 dB. Without the floor the -5/-4 pair counts too.
        var floored = TensorError(), plain = TensorError()
        let reference: [Float] = [-5, 1], test: [Float] = [-4, 1.5]
        reference.withUnsafeBufferPointer { r in test.withUnsafeBufferPointer { t in
            floored.add(reference: r, test: t, floor: -3)
            plain.add(reference: r, test: t)
        } }
        #expect(abs(floored.sqnr - 16.02) < 0.01)
        #expect(abs(plain.sqnr - 10 * log10(26 / 1.25)) < 0.01)
        // A NaN is not hidden by the floor.
        var broken = TensorError()
        [Float(1)].withUnsafeBufferPointer { r in [Float.nan].withUnsafeBufferPointer { t in broken.add(reference: r, test: t, floor: -3) } }
        #expect(broken.noise.isNaN)
    }

    @Test func valuesBelowAFloorTheGridReachesAreNotClipping() throws {
        // A grid from -3.05 up: values under it are clipped, but with a floor of -3 that is harmless.
        let grid = QuantParams.covering(lower: -3.05, upper: 10, type: .uint8, symmetric: false)
        #expect(LayerwiseAnalysis.clippingBounds(grid, floor: -3).lowerBound == -.infinity)
        #expect(LayerwiseAnalysis.clippingBounds(grid).lowerBound > -3.2)
        var histogram = Histogram()
        histogram.add((0..<1_000).map { Float($0) / 40 - 15 })
        let evidence = try #require(LayerEvidence.Input(value: "y", histogram: histogram, grid: grid, floor: -3))
        #expect(evidence.saturationPercent == 0 && evidence.clippingErrorPercent == 0)
        let without = try #require(LayerEvidence.Input(value: "y", histogram: histogram, grid: grid))
        #expect(without.saturationPercent > 40 && without.clippingErrorPercent > 90)
        // Values all under the floor are one value to the readers: nothing to measure.
        var under = Histogram()
        under.add([-9, -8, -7])
        #expect(LayerEvidence.Input(value: "y", histogram: under, grid: grid, floor: -3) == nil)
    }
}
