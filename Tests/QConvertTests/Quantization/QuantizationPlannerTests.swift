import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The planner on tiny prepared graphs: which cheap ops join their int8 neighbours, and with which
/// parameters (every value gets the calibrated range [-2, 4] here, so parameters are predictable).
@Suite struct QuantizationPlannerTests {
    static let range: ClosedRange<Float> = -2...4

    /// Prepares `model`, then plans it with every value ranged [-2, 4].
    func plan(_ model: Model, terminalOutputs: Set<String> = [], options: QuantizationOptions = QuantizationOptions()) throws -> QuantizationPlan {
        let prepared = try Preparation.run(model)
        var ranges: [String: ClosedRange<Float>] = [:]
        for node in prepared.model.graph.nodes { for output in node.outputs { ranges[output] = Self.range } }
        for input in prepared.model.graph.inputs { ranges[input.name] = Self.range }
        return try QuantizationPlanner(model: prepared.model, units: prepared.context.units, ranges: ranges, options: options,
                                       terminalOutputs: terminalOutputs).plan()
    }

    func conv(_ b: inout GraphBuilder, _ x: String, _ r: inout RandomTensors, name: String) -> String {
        b.node("Conv", [x, b.constant(name + "_w", r.normal([4, 4, 1, 1]))], name: name)
    }

    func decision(_ plan: QuantizationPlan, _ node: String) throws -> QuantizationPlan.NodeDecision {
        try #require(plan.nodes.first { $0.node == node })
    }

    /// Compute ops qconvert leaves float in some forms say which form, and a pass-through op whose
    /// input is quantized for another reader says that nothing int8 reads it: the summary named
    /// "arithmetic op kept float by default", "no quantization rule for Gemm" and "input not
    /// quantized" (found by a black-box run).
    @Test func floatReasonsNameTheActualLimitation() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 9)
        let x = b.input("x", [1, 4, 3, 3])
        let y = conv(&b, x, &r, name: "c1")
        let up = b.node("ConvTranspose", [y, b.constant("wt", r.normal([4, 2, 2, 2]))], ["group": .int(2), "strides": .ints([2, 2])], name: "up")
        let pooled = b.node("MaxPool", [y], ["kernel_shape": .ints([2, 2])], name: "pool")
        let flat = b.input("v", [3, 4])
        let left = b.node("MatMul", [b.constant("a", r.normal([2, 3])), flat], name: "left")
        let transposed = b.node("Gemm", [flat, b.constant("g", r.normal([3, 5]))], ["transA": .int(1)], name: "gemm")
        b.output(up, b.node("Exp", [pooled]), left, transposed, conv(&b, y, &r, name: "c2"))
        let plan = try plan(b.model)
        let reasons = try ["up", "pool", "left", "gemm"].map { try decision(plan, $0).reason }
        #expect(reasons == ["grouped (group = 2): qconvert quantizes ConvTranspose with group 1 only", "no int8 layer reads its output",
                            "constant A (left): qconvert quantizes MatMul by a constant B only",
                            "transA = 1: qconvert quantizes Gemm with an untransposed A only"])
    }

    @Test func siluBetweenInt8LayersIsQuantizedWithTheSigmoidOnZeroToOne() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 1)
        let x = b.input("x", [1, 4, 3, 3])
        let y = conv(&b, x, &r, name: "c1")
        let gate = b.node("Sigmoid", [y], name: "gate")
        let swish = b.node("Mul", [y, gate], name: "swish")
        b.output(conv(&b, swish, &r, name: "c2"))
        let plan = try plan(b.model)
        #expect(try decision(plan, "gate").quantized && decision(plan, "swish").quantized)
        let params = try #require(plan.points[gate])
        #expect(params.scales == [1 / 255] && params.zeroPoints == [0])
        #expect(plan.points[swish] != nil)
    }

    /// A squeeze-and-excitation block between int8 layers: x · HardSigmoid(c2(GAP(x))) + x.
    func seBlock(_ b: inout GraphBuilder, _ r: inout RandomTensors, gateOp: String = "HardSigmoid") -> (gate: String, scaled: String, sum: String) {
        let x = conv(&b, b.input("x", [1, 4, 3, 3]), &r, name: "c1")
        let gate = b.node(gateOp, [conv(&b, b.node("GlobalAveragePool", [x], name: "gap"), &r, name: "c2")], name: "gate")
        let scaled = b.node("Mul", [x, gate], name: "scale")
        let sum = b.node("Add", [x, scaled], name: "residual")
        b.output(conv(&b, sum, &r, name: "c3"))
        return (gate, scaled, sum)
    }

    /// The gate joins on [0, 1], the Mul and Add in int8 (ONNX Runtime's QLinearMul/QLinearAdd);
    /// --no-integer-arithmetic leaves the three float.
    @Test func squeezeAndExcitationRunsInInt8() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 11)
        let (gate, scaled, sum) = seBlock(&b, &r)
        let plan = try plan(b.model)
        #expect(try ["gate", "scale", "residual"].allSatisfy { try decision(plan, $0).quantized })
        let gateParams = try #require(plan.points[gate])
        #expect(gateParams.scales == [1 / 255] && gateParams.zeroPoints == [0])
        #expect(plan.points[scaled] != nil && plan.points[sum] != nil)
        var options = QuantizationOptions()
        options.integerArithmetic = false
        let float = try self.plan(b.model, options: options)
        #expect(try ["gate", "scale", "residual"].allSatisfy { try !decision(float, $0).quantized })
        #expect(float.points[scaled] == nil)
    }

    /// A gate from a float op (Exp, no int8 form) would need a QuantizeLinear of its own: the Mul
    /// stays float, and so does the Add that reads it.
    @Test func arithmeticOnAFloatOpsOutputStaysFloat() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 12)
        let (_, scaled, _) = seBlock(&b, &r, gateOp: "Exp")
        let plan = try plan(b.model)
        #expect(try decision(plan, "scale").reason == "arithmetic op kept float by default")
        #expect(try !decision(plan, "residual").quantized)
        #expect(plan.points[scaled] == nil)
    }

    /// The fully connected SE form: the gate reaches the Mul through a Reshape. The Reshape and the
    /// gate join too, so the only new grid is the gate's [0, 1]; excluding the gate keeps all float.
    @Test func gateThroughAReshapeJoinsAndAnExcludedGateStaysFloat() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 13)
        let x = conv(&b, b.input("x", [1, 4, 3, 3]), &r, name: "c1")
        let pooled = b.node("Flatten", [b.node("GlobalAveragePool", [x], name: "gap")], name: "flat")
        let fc = b.node("Gemm", [pooled, b.constant("g", r.normal([4, 4])), b.constant("gb", r.normal([4]))], ["transB": .int(1)], name: "fc")
        let gate = b.node("HardSigmoid", [fc], name: "gate")
        let shaped = b.node("Reshape", [gate, b.constant("shape", Tensor(shape: [4], scalars: [Int64(1), 4, 1, 1]))], name: "reshape")
        b.output(conv(&b, b.node("Mul", [x, shaped], name: "scale"), &r, name: "c2"))
        let plan = try plan(b.model)
        #expect(try ["gate", "reshape", "scale"].allSatisfy { try decision(plan, $0).quantized })
        #expect(plan.points[shaped] == plan.points[gate] && plan.points[gate]?.scales == [1 / 255])
        var options = QuantizationOptions()
        options.excludeNodes = ["gate"]
        let excluded = try self.plan(b.model, options: options)
        #expect(try ["gate", "reshape", "scale"].allSatisfy { try !decision(excluded, $0).quantized })
        #expect(excluded.points[gate] == nil && excluded.points[shaped] == nil)
    }

    /// A feature-pyramid sum: Add(a, c) read by a nearest Resize whose output a Conv reads joins,
    /// and the Resize with it; the same Add read by a Relu stays float (ONNX Runtime fuses that
    /// form on the Relu's grid already).
    @Test func sumBeforeANearestResizeJoinsButNotBeforeARelu() throws {
        for reader in ["Resize", "Relu"] {
            var b = GraphBuilder()
            var r = RandomTensors(seed: 14)
            let x = b.input("x", [1, 4, 3, 3])
            let sum = b.node("Add", [conv(&b, x, &r, name: "c1"), conv(&b, x, &r, name: "c2")], name: "sum")
            let read = reader == "Resize"
                ? b.node("Resize", [sum, "", b.constant("scales", Tensor(shape: [4], scalars: [Float(1), 1, 2, 2]))], ["mode": .string(Array("nearest".utf8))], name: "read")
                : b.node("Relu", [sum], name: "read")
            b.output(conv(&b, read, &r, name: "c3"))
            let plan = try plan(b.model)
            #expect(try decision(plan, "sum").quantized == (reader == "Resize"), "\(reader)")
            #expect(try decision(plan, "read").quantized == (reader == "Resize"), "\(reader)")
        }
    }

    /// sum = Add(c1(x), c2(x)); join = Concat(sum, c3(x)); output c4(join), and Relu(sum) too when
    /// `sumReadElsewhere`.
    func concatModel(seed: UInt64, sumReadElsewhere: Bool = false) -> (model: Model, sum: String, joined: String) {
        var b = GraphBuilder()
        var r = RandomTensors(seed: seed)
        let x = b.input("x", [1, 4, 3, 3])
        let sum = b.node("Add", [conv(&b, x, &r, name: "c1"), conv(&b, x, &r, name: "c2")], name: "sum")
        let joined = b.node("Concat", [sum, conv(&b, x, &r, name: "c3")], ["axis": .int(1)], name: "join")
        let output = b.node("Conv", [joined, b.constant("w4", r.normal([2, 8, 1, 1]))], name: "c4")
        if sumReadElsewhere { b.output(output, b.node("Relu", [sum])) } else { b.output(output) }
        return (b.model, sum, joined)
    }

    @Test func concatInputsReadByItAloneTakeItsOutputParameters() throws {
        let (model, sum, joined) = concatModel(seed: 2)
        let plan = try plan(model)
        #expect(try decision(plan, "join").quantized)
        #expect(plan.points[sum] == plan.points[joined])
        // An Add of two int8 Conv outputs, on the Concat's grid: QLinearAdd.
        #expect(try decision(plan, "sum").quantized)
    }

    /// An excluded Concat does not join (its inputs keep their own grids) and says it was excluded:
    /// the summary said "output not quantized, or an input read elsewhere is not quantized" (found
    /// on ppocrv4_rec, where the Conv reading it kept its output quantized anyway).
    @Test func excludedConcatSaysSo() throws {
        let (model, sum, joined) = concatModel(seed: 2)
        var options = QuantizationOptions()
        options.excludeNodes = ["join"]
        let plan = try plan(model, options: options)
        let join = try decision(plan, "join")
        #expect(!join.quantized && join.reason == "excluded by options")
        #expect(plan.points[sum] == nil && plan.points[joined] != nil)
    }

    @Test func concatStaysFloatWhenAnInputReadElsewhereIsNotQuantized() throws {
        let (model, sum, _) = concatModel(seed: 3, sumReadElsewhere: true)
        let plan = try plan(model)
        #expect(try !decision(plan, "join").quantized)
        #expect(plan.points[sum] == nil)
    }

    /// Softmax feeding an int8 layer: its input is quantized where the Reshape -> Transpose chain
    /// before it starts, so the chain runs on integers too.
    @Test func softmaxInputIsQuantizedAtTheStartOfItsPassThroughChain() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 4)
        let x = b.input("x", [1, 4, 3, 3])
        let sum = b.node("Add", [conv(&b, x, &r, name: "c1"), conv(&b, x, &r, name: "c2")], name: "sum")
        let reshaped = b.node("Reshape", [sum, b.constant("shape", Tensor(shape: [4], scalars: [Int64(1), 4, 9, 1]))], name: "reshape")
        let moved = b.node("Transpose", [reshaped], ["perm": .ints([0, 2, 1, 3])], name: "move")
        let probabilities = b.node("Softmax", [moved], ["axis": .int(2)], name: "softmax")
        b.output(b.node("Conv", [probabilities, b.constant("w3", r.normal([2, 9, 1, 1]))], name: "c3"))
        let plan = try plan(b.model)
        #expect(try decision(plan, "softmax").quantized && decision(plan, "reshape").quantized && decision(plan, "move").quantized)
        #expect(plan.points[sum] != nil && plan.points[moved] == plan.points[sum])
    }

    /// A last layer reading a bounded value (a Softmax's output) is a candidate, quantized only when
    /// asked; one reading an unbounded value (logits from features) is not even a candidate.
    @Test func lastLayerOutputsAreCandidatesOnlyAfterABoundedInput() throws {
        var b = GraphBuilder()
        var r = RandomTensors(seed: 5)
        let x = b.input("x", [1, 4, 3, 3])
        let features = conv(&b, x, &r, name: "c1")
        let head = conv(&b, b.node("Softmax", [features], ["axis": .int(1)]), &r, name: "head")
        let logits = conv(&b, features, &r, name: "logits")
        b.output(b.node("Sigmoid", [head]), b.node("Sigmoid", [logits]))
        #expect(try plan(b.model).terminalOutputs == [head])
        #expect(try plan(b.model).points[head] == nil)
        #expect(try plan(b.model, terminalOutputs: [head]).points[head] != nil)
        #expect(try plan(b.model, terminalOutputs: [logits]).points[logits] == nil)
    }
}
