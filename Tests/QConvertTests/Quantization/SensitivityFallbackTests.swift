import QConvertIR
import QConvertTestSupport
import Testing
@testable import QConvert

/// The fallback's search on a plan of three weighted layers, measured by a hand-written table of
/// output SQNRs per float set (no model needed): gains that do not add up, as on ppocrv4_rec.
struct SensitivityFallbackTests {
    /// Quantized compute layers a, b, c (and more when given).
    private func plan(_ names: [String] = ["a", "b", "c"]) -> QuantizationPlan {
        var plan = QuantizationPlan()
        for name in names {
            plan.nodes.append(.init(node: name, opType: "Conv", quantized: true, reason: "int8"))
            plan.weights[name] = .init(bits: 8, perChannel: true)
        }
        return plan
    }

    /// SQNR of a plan = table entry for its float set.
    private func measure(_ table: [Set<String>: Double]) -> SensitivityFallback.Measure {
        { plan in
            let float = Set(plan.nodes.filter { !$0.quantized }.map(\.node))
            return table[float] ?? 0
        }
    }

    /// b alone gains most (+8) and a is second (+6), but a on top of b loses; c on top of b helps.
    private let table: [Set<String>: Double] = [
        []: 10, ["a"]: 16, ["b"]: 18, ["c"]: 11,
        ["a", "b"]: 12, ["b", "c"]: 19, ["a", "c"]: 15, ["a", "b", "c"]: 13,
    ]

    @Test func aCandidateThatLowersTheSQNRIsPassedOver() throws {
        let (result, log) = try SensitivityFallback.run(plan: plan(), targetSQNR: 30, maxFloat: 2, measure: measure(table))
        #expect(log.steps.map(\.node) == ["b", "c"])
        #expect(log.steps.map(\.sqnr) == [18, 19])
        #expect(log.initialSQNR == 10 && log.finalSQNR == 19)
        #expect(Set(result.nodes.filter { !$0.quantized }.map(\.node)) == ["b", "c"])
    }

    /// a and c help little alone or on top of b (the greedy search keeps b, then c, up to the
    /// limit of 2) but much together: exchanging b for a takes 19 to 24 dB; after that no exchange
    /// helps ({b, c} 19, {a, b} 17).
    @Test func anExchangeFindsLayersThatHelpTogether() throws {
        let table: [Set<String>: Double] = [
            []: 10, ["a"]: 14, ["b"]: 18, ["c"]: 11,
            ["a", "b"]: 17, ["b", "c"]: 19, ["a", "c"]: 24, ["a", "b", "c"]: 20,
        ]
        let (result, log) = try SensitivityFallback.run(plan: plan(), targetSQNR: 30, maxFloat: 2, measure: measure(table))
        #expect(log.steps.map(\.node) == ["b", "c", "a"] && log.steps.map(\.replaces) == [nil, nil, "b"])
        #expect(log.steps.last?.gain == 5 && log.finalSQNR == 24)
        #expect(log.floatNodes == ["c", "a"])
        #expect(Set(result.nodes.filter { !$0.quantized }.map(\.node)) == ["a", "c"])
        // With the target at 22 the exchange reaches it and the search stops there.
        let (_, reached) = try SensitivityFallback.run(plan: plan(), targetSQNR: 22, maxFloat: 2, measure: measure(table))
        #expect(reached.finalSQNR == 24 && reached.shortfall == nil)
    }

    @Test func stopsAtTheTargetAndAtTheLimit() throws {
        let (_, reached) = try SensitivityFallback.run(plan: plan(), targetSQNR: 17, maxFloat: 3, measure: measure(table))
        #expect(reached.steps.map(\.node) == ["b"] && reached.shortfall == nil)
        let (_, limited) = try SensitivityFallback.run(plan: plan(), targetSQNR: 30, maxFloat: 1, measure: measure(table))
        #expect(limited.steps.map(\.node) == ["b"] && limited.finalSQNR == 18)
        #expect(limited.shortfall == "stopped at the --max-float-layers limit (1); no exchange of a float layer raised the output SQNR")
    }

    /// With room for all three, b then c are kept and a (which lowers the SQNR on top of b) is not:
    /// the shortfall names the search running out, not the limit.
    @Test func aShortfallWithRoomLeftSaysNoLayerHelped() throws {
        let (_, log) = try SensitivityFallback.run(plan: plan(), targetSQNR: 30, maxFloat: 3, measure: measure(table))
        #expect(log.steps.map(\.node) == ["b", "c"] && log.finalSQNR == 19)
        #expect(log.shortfall == "no other layer kept float, nor any exchange, raised the output SQNR (all 3 candidates tried)")
    }

    /// d lowers the SQNR alone (9 against 10) but raises it on top of b and c (19 -> 25): the first
    /// pass keeps b then c and stops short of the target; the second measures a and d again on top
    /// of them and keeps d, with the gain it had there.
    @Test func aLaterPassMeasuresTheRestOnTopOfThoseKept() throws {
        var table = self.table
        table[["d"]] = 9
        table[["b", "d"]] = 17
        table[["b", "c", "d"]] = 25
        let (result, log) = try SensitivityFallback.run(plan: plan(["a", "b", "c", "d"]), targetSQNR: 30, maxFloat: 4, measure: measure(table))
        #expect(log.steps.map(\.node) == ["b", "c", "d"])
        #expect(log.steps.map(\.sqnr) == [18, 19, 25] && log.steps.last?.gain == 6)
        #expect(Set(result.nodes.filter { !$0.quantized }.map(\.node)) == ["b", "c", "d"])
        #expect(log.shortfall == "no other layer kept float, nor any exchange, raised the output SQNR (all 4 candidates tried)")
    }

    @Test func nothingIsKeptFloatWhenTheTargetIsAlreadyMet() throws {
        let (result, log) = try SensitivityFallback.run(plan: plan(), targetSQNR: 10, maxFloat: 3, measure: measure(table))
        #expect(log.steps.isEmpty && result == plan())
        #expect(log.candidates == 3)
    }

    /// A plan with nothing to keep float, and a measurement that is not a number: each says so.
    @Test func shortfallWithoutCandidatesOrWithoutAMeasurement() throws {
        let (_, empty) = try SensitivityFallback.run(plan: QuantizationPlan(), targetSQNR: 30, maxFloat: 3, measure: { _ in 10 })
        #expect(empty.shortfall == "no quantized compute layer to keep float")
        let (_, nan) = try SensitivityFallback.run(plan: plan(), targetSQNR: 30, maxFloat: 3, measure: { _ in .nan })
        #expect(nan.shortfall == "the output SQNR could not be measured (not a number)")
    }

    /// A group whose layers gain nothing one at a time but much together (as yolov8n_320's first
    /// layers do) joins as one step; its layers count against the limit, so it is not tried where
    /// it would pass it.
    @Test func aGroupJoinsWhereNoneOfItsLayersHelpsAlone() throws {
        let group = SensitivityFallback.Group(name: "first", nodes: ["a", "b", "sig"], layers: ["a", "b"])
        var table = self.table
        table[["a"]] = 9
        table[["b"]] = 9
        table[["a", "b"]] = 25   // the plan has no "sig": the table sees the float compute layers
        let (result, log) = try SensitivityFallback.run(plan: plan(), groups: [group], targetSQNR: 24, maxFloat: 2, measure: measure(table))
        #expect(log.steps.map(\.node) == ["first"] && log.steps.first?.nodes == ["a", "b"] && log.finalSQNR == 25)
        #expect(log.floatNodes == ["a", "b"])
        #expect(Set(result.nodes.filter { !$0.quantized }.map(\.node)) == ["a", "b"])
        let (_, limited) = try SensitivityFallback.run(plan: plan(), groups: [group], targetSQNR: 24, maxFloat: 1, measure: measure(table))
        #expect(limited.steps.map(\.node) == ["c"] && limited.finalSQNR == 11)
    }

    /// x -> c1 -> Sigmoid, Mul (SiLU) -> c2 -> c3 -> Add(SiLU output, c3): to depth 1 every node
    /// touching x, c1's output or the SiLU's (c2 and the far Add read it); to depth 2 c3 too (it reads
    /// c2's output); depth 3 adds no layer, so no third group.
    @Test func inputGroupsHoldEveryNodeTouchingAShallowValue() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 3)
        let x = b.input("x", [1, 2, 4, 4])
        let c1 = b.node("Conv", [x, b.constant("w1", r.normal([2, 2, 1, 1]))], name: "c1")
        let silu = b.node("Mul", [c1, b.node("Sigmoid", [c1], name: "sig")], name: "mul")
        let c2 = b.node("Conv", [silu, b.constant("w2", r.normal([2, 2, 1, 1]))], name: "c2")
        let c3 = b.node("Conv", [c2, b.constant("w3", r.normal([2, 2, 1, 1]))], name: "c3")
        b.output(b.node("Add", [silu, c3], name: "add"))
        var plan = QuantizationPlan()
        for (node, op, inputs, output) in [("c1", "Conv", [x], c1), ("sig", "Sigmoid", [c1], "s"), ("mul", "Mul", [c1, "s"], silu),
                                           ("c2", "Conv", [silu], c2), ("c3", "Conv", [c2], c3), ("add", "Add", [silu, c3], "y")] {
            plan.nodes.append(.init(node: node, opType: op, quantized: true, reason: "int8", inputs: inputs, output: output))
        }
        for layer in ["c1", "c2", "c3"] { plan.weights[layer] = .init(bits: 8, perChannel: true) }
        let groups = SensitivityFallback.inputGroups(plan, graph: b.model.graph)
        #expect(groups.map(\.layers) == [["c1", "c2"], ["c1", "c2", "c3"]])
        #expect(groups.map(\.nodes) == [["c1", "sig", "mul", "c2", "add"], ["c1", "sig", "mul", "c2", "c3", "add"]])
    }

    /// Unnamed layers (the plan knows them by display name) count towards depth, and a second input
    /// read deep in the model (a mask added to the last layer's output) is not the input end: the Add
    /// reading it joins no group.
    @Test func inputGroupsFollowUnnamedLayersAndSkipInputsReadDeep() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 4)
        let x = b.input("x", [1, 2, 4, 4]), mask = b.input("m", [1, 2, 4, 4])
        var h = x
        for k in 1...3 { h = b.node("Conv", [h, b.constant("w\(k)", r.normal([2, 2, 1, 1]))], name: "c\(k)") }
        b.output(b.node("Add", [h, mask], name: "add"))
        var graph = b.model.graph
        for index in graph.nodes.indices where graph.nodes[index].opType == "Conv" { graph.nodes[index].name = "" }
        var plan = QuantizationPlan()
        for (node, op, inputs, output) in [("Conv -> c1", "Conv", [x], "c1"), ("Conv -> c2", "Conv", ["c1"], "c2"),
                                           ("Conv -> c3", "Conv", ["c2"], "c3"), ("add", "Add", ["c3", mask], "y")] {
            plan.nodes.append(.init(node: node, opType: op, quantized: true, reason: "int8", inputs: inputs, output: output))
            if op == "Conv" { plan.weights[node] = .init(bits: 8, perChannel: true) }
        }
        let groups = SensitivityFallback.inputGroups(plan, graph: graph)
        #expect(groups.map(\.layers) == [["Conv -> c1", "Conv -> c2"], ["Conv -> c1", "Conv -> c2", "Conv -> c3"]])
        #expect(groups.allSatisfy { !$0.nodes.contains("add") })
    }

    /// Layers kept float before the search (the default's first layers) count against the limit and
    /// lead the float nodes; the candidates count them.
    @Test func layersKeptBeforeCountAgainstTheLimit() throws {
        let (_, log) = try SensitivityFallback.run(plan: plan(), keptBefore: ["z"], targetSQNR: 30, maxFloat: 2, measure: measure(table))
        #expect(log.steps.map(\.node) == ["b"] && log.floatNodes == ["z", "b"] && log.candidates == 4)
        #expect(log.shortfall == "stopped at the --max-float-layers limit (2); no exchange of a float layer raised the output SQNR")
    }
}
