import QConvertIR

/// Raises the default-domain opset to 14, converting the ops whose signature or meaning changed on
/// the way, so per-axis DequantizeLinear (opset 13) and HardSwish (opset 14) can be used.
///
/// Why: ONNX Runtime refuses a model whose DequantizeLinear has an `axis` its opset does not allow, and
/// silently re-interpreting old ops under a new opset would change results.
///     Clip (< 11):            min/max attributes -> inputs
///     Pad (< 11):             pads/value attributes -> inputs
///     Slice (< 10):           starts/ends/axes attributes -> inputs
///     Squeeze, Unsqueeze:     axes attribute -> input
///     Split:                  split attribute -> input
///     ReduceSum:              axes attribute -> input
///     Softmax, LogSoftmax, Hardmax (< 13): "flatten to 2-D at axis" semantics, expressed in opset 13
///                             as the same op on the last axis when `axis` is the last axis, else as
///                             Flatten -> op(axis 1) -> Reshape(back to the input's shape)
///     TopK (< 10):            k attribute -> input
///     Upsample, Resize (< 11): Resize with asymmetric coordinates and the legacy nearest rounding
///     BatchNormalization (< 9): `spatial` 1 dropped (0, statistics per value, is refused)
///     PRelu (< 7):            a per-channel slope of C values reshaped to [C, 1, ...]
///     any op (< 7):           `broadcast` dropped; with `axis`, a constant B given trailing 1s where
///                             suffix broadcasting would not line it up the same
///     any op (< 6):           `consumed_inputs` (a memory hint without meaning) dropped
/// If/Loop/Scan bodies run under the model's opset, so they are converted too. Ops whose behaviour
/// did not change need nothing. A model with an op this pass cannot convert (Scatter, a legacy
/// Resize whose scales are computed, ...) is an error naming the node.
public struct UpgradeOpset: Pass {
    public let name = "upgrade-opset"
    public static let target = 14

    public init() {}

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        let from = model.opsetVersion() ?? 1
        guard from < Self.target else { return .unchanged }
        var graph = model.graph
        var names = NameScope(graph)
        var converted: [String: Int] = [:]
        try upgrade(&graph, from: from, names: &names, converted: &converted)
        model.graph = graph
        model.setOpsetVersion(Self.target)
        return PassReport(changes: converted.values.reduce(0, +) + 1,
                          summary: "opset \(from) -> \(Self.target)" + (converted.isEmpty ? "" : " (converted \(PassReport.listing(converted)))"))
    }

    /// Converts `graph`'s nodes and, first, those of their subgraphs.
    private func upgrade(_ graph: inout Graph, from: Int, names: inout NameScope, converted: inout [String: Int]) throws {
        var rewritten: [Node] = []
        // Looked up by the legacy conversions (Upsample scales, a PRelu slope, a broadcast B), which may
        // sit in Constant nodes: this pass runs before constants are folded.
        let constants = graph.constantTensors()
        for var node in graph.nodes {
            try node.updateSubgraphs { try upgrade(&$0, from: from, names: &names, converted: &converted) }
            guard node.isDefaultDomain else { rewritten.append(node); continue }
            let nodes = try convert(node, from: from, graph: &graph, constants: constants, names: &names)
            if nodes.count != 1 || nodes[0] != node { converted[node.opType, default: 0] += 1 }
            rewritten += nodes
        }
        graph.nodes = rewritten
    }

    /// The error for a node this pass cannot convert: "node 'n': `what` cannot be upgraded to opset 14 yet".
    private func cannotUpgrade(_ node: Node, _ what: String) -> QConvertError {
        QConvertError("node '\(node.displayName)': \(what) cannot be upgraded to opset \(Self.target) yet")
    }

    private func convert(_ node: Node, from: Int, graph: inout Graph, constants: [String: Tensor], names: inout NameScope) throws -> [Node] {
        var node = node
        if from < 6 { node.removeAttribute("consumed_inputs") }
        if from < 7, node.attribute("broadcast") != nil {
            if node.attribute("axis") != nil && node.opType != "Gemm" { node = try alignLegacyAxisBroadcast(node, graph: &graph, constants: constants, names: &names) }
            node.removeAttribute("broadcast")
        }
        let rewrites: Set<String> = ["Clip", "Pad", "Slice", "Squeeze", "Unsqueeze", "Split", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax", "TopK"]
        if rewrites.contains(node.opType), node.inputs.first?.isEmpty ?? true || node.outputs.first?.isEmpty ?? true {
            throw QConvertError("node '\(node.displayName)': \(node.opType) needs an input and an output")
        }
        /// Moves an int-list attribute (or `values` given for it) to a constant input at `index`.
        func moveInts(_ attribute: String, toInput index: Int, values given: [Int]? = nil) throws {
            guard let values = try given ?? node.ints(attribute) else { return }
            let constant = names.fresh(node.displayName + "_" + attribute)
            graph.initializers[constant] = Tensor(scalars: values.map(Int64.init))
            while node.inputs.count < index { node.inputs.append("") }
            node.inputs.insert(constant, at: index)
            node.removeAttribute(attribute)
        }
        func scalarInput(_ value: Float) -> String {
            let constant = names.fresh(node.displayName + "_bound")
            graph.initializers[constant] = Tensor(scalar: value)
            return constant
        }
        switch node.opType {
        case "Clip" where from < 11:
            let lower = try node.float("min", default: -.greatestFiniteMagnitude)
            let upper = try node.float("max", default: .greatestFiniteMagnitude)
            node.removeAttribute("min")
            node.removeAttribute("max")
            node.inputs = [node.inputs[0], scalarInput(lower), scalarInput(upper)]
        case "Pad" where from < 11:
            try moveInts("pads", toInput: 1)
            if let value = node.attribute("value"), case .float(let v) = value {
                node.inputs.append(scalarInput(v))
                node.removeAttribute("value")
            }
        case "Slice" where from < 10:
            let axes = try node.ints("axes")
            try moveInts("starts", toInput: 1)
            try moveInts("ends", toInput: 2)
            if axes != nil { try moveInts("axes", toInput: 3) }
        case "Squeeze" where from < 13, "Unsqueeze" where from < 13:
            try moveInts("axes", toInput: 1)
        case "Split" where from < 13:
            try moveInts("split", toInput: 1)
        case "ReduceSum" where from < 13:
            try moveInts("axes", toInput: 1)
        case "TopK" where from < 10:
            let k = try node.int("k", default: -1)
            guard k >= 0 else { throw QConvertError("node '\(node.displayName)': TopK (opset \(from)) needs its `k` attribute") }
            try moveInts("k", toInput: 1, values: [k])
        case "Softmax" where from < 13, "LogSoftmax" where from < 13, "Hardmax" where from < 13:
            return try convertSoftmax(node, graph: &graph, names: &names)
        case "PRelu" where from < 7:
            return [try convertLegacyPRelu(node, graph: &graph, constants: constants, names: &names)]
        case "BatchNormalization" where from < 9:
            // Opset 9 dropped `spatial`; its 1 (per channel) is what BatchNormalization means since.
            guard try node.int("spatial", default: 1) == 1 else {
                throw cannotUpgrade(node, "BatchNormalization with spatial = 0 (opset \(from))")
            }
            node.removeAttribute("spatial")
        case "Upsample", "Resize":
            // Upsample (deprecated since opset 10) always; Resize as opsets before 11 define it.
            guard node.opType == "Upsample" || from < 11 else { break }
            return [try convertLegacyResize(node, from: from, graph: &graph, constants: constants, names: &names)]
        case "Scatter":
            throw cannotUpgrade(node, "\(node.opType) (opset \(from))")
        default:
            break
        }
        return [node]
    }

    /// Opset < 7 binary op with `broadcast` 1 and `axis`: B's dims line up with A's from `axis` on.
    /// Since opset 7 they line up from the last axis, the same when B reaches A's last axis ([2, 3] +
    /// [3] at axis 1); otherwise a constant B is given trailing 1s ([N, C, H, W] + [C] at axis 1:
    /// [C, 1, 1]). With `broadcast` 0 the shapes are equal and `axis` means nothing.
    private func alignLegacyAxisBroadcast(_ node: Node, graph: inout Graph, constants: [String: Tensor], names: inout NameScope) throws -> Node {
        var node = node
        let start = try node.int("axis")
        node.removeAttribute("axis")
        guard try node.int("broadcast", default: 0) == 1 else { return node }
        let refusal = cannotUpgrade(node, "\(node.opType) broadcasting along `axis` (opset < 7)")
        guard node.inputs.count == 2, let dimsA = graph.declaredType(of: node.inputs[0])?.shape else { throw refusal }
        let constantB = constants[node.inputs[1]]
        guard let dimsB = constantB.map({ $0.shape.map(Dim.value) }) ?? graph.declaredType(of: node.inputs[1])?.shape else { throw refusal }
        // Negative axes are not in the legacy rule (the interpreter refuses them too).
        guard start >= 0, start + dimsB.count <= dimsA.count else { throw refusal }
        // Sizes known on both sides must agree (or B's be 1), else the original does not run either.
        for (a, b) in zip(dimsA[start...], dimsB) {
            if case .value(let x) = a, case .value(let y) = b, x != y, y != 1 {
                throw QConvertError("node '\(node.displayName)': \(node.opType) cannot broadcast \(dimsB) into \(dimsA) from axis \(start)")
            }
        }
        guard start + dimsB.count < dimsA.count else { return node }
        guard let constantB else { throw refusal }
        node.inputs[1] = addTrailingOnes(constantB, rank: dimsA.count - start, named: node.inputs[1] + "_aligned", graph: &graph, names: &names)
        return node
    }

    /// Upsample (opsets 7-9) and Resize-10: scales (attribute before opset 9, else input 1), nearest or
    /// linear, asymmetric coordinates, and for nearest the "simple" rounding: down when enlarging, up
    /// when shrinking. Opset 13's Resize says the same with coordinate_transformation_mode asymmetric
    /// and nearest_mode ceil (no scale above 1) or floor (the others shrinking by powers of two);
    /// constant scales are needed to tell.
    private func convertLegacyResize(_ node: Node, from: Int, graph: inout Graph, constants: [String: Tensor], names: inout NameScope) throws -> Node {
        func refuse(_ why: String) -> QConvertError { cannotUpgrade(node, "\(node.opType) (opset \(from)) \(why)") }
        // Upsample-1 had height_scale/width_scale and modes of its own.
        guard node.opType == "Resize" || from >= 7 else { throw refuse("with height_scale/width_scale") }
        guard let x = node.inputs.first, !x.isEmpty else { throw refuse("without an input") }
        let mode = try node.string("mode", default: "nearest")
        guard mode == "nearest" || mode == "linear" else { throw refuse("with mode '\(mode)'") }
        var scalesName = node.inputs.count > 1 ? node.inputs[1] : ""
        let scales: [Float]
        if let attribute = try node.floats("scales") {
            scales = attribute
            scalesName = names.fresh(node.displayName + "_scales")
            graph.initializers[scalesName] = Tensor(shape: [scales.count], scalars: scales)
        } else if let constant = constants[scalesName]?.floats() {
            scales = constant
        } else {
            throw refuse("with computed scales")
        }
        var attributes = [Attribute(name: "mode", value: .string(Array(mode.utf8))),
                          Attribute(name: "coordinate_transformation_mode", value: .string(Array("asymmetric".utf8)))]
        if mode == "nearest" {
            // Shrinking by a power of two, every source coordinate is whole: floor and ceil agree there.
            let wholeCoordinates = scales.allSatisfy { $0 >= 1 || $0.significand == 1 }
            let rounding = scales.allSatisfy { $0 <= 1 } ? "ceil" : wholeCoordinates ? "floor" : nil
            guard let rounding else { throw refuse("enlarging some axes and shrinking others by other than a power of two") }
            attributes.append(Attribute(name: "nearest_mode", value: .string(Array(rounding.utf8))))
        }
        var resize = node
        resize.opType = "Resize"
        resize.inputs = [x, "", scalesName]
        resize.attributes = attributes
        return resize
    }

    /// Opset < 7 PRelu: a slope of C values, C the size of axis 1, applies per channel; from opset 7
    /// it broadcasts from the last axis, so a constant slope is reshaped to [C, 1, ..., 1] for an input
    /// of rank 3 or more (rank 2, [N, C], and a single value mean the same either way). Other slopes
    /// broadcast from the last axis before opset 7 too (as the interpreter runs them).
    private func convertLegacyPRelu(_ node: Node, graph: inout Graph, constants: [String: Tensor], names: inout NameScope) throws -> Node {
        func refuse(_ why: String) -> QConvertError { cannotUpgrade(node, "PRelu (opset < 7) \(why)") }
        guard node.inputs.count == 2 else { throw refuse("without a slope") }
        let slope = constants[node.inputs[1]]
        if slope?.count == 1 { return node }
        guard let dims = graph.declaredType(of: node.inputs[0])?.shape else { throw refuse("whose input rank is unknown") }
        guard dims.count > 2 else { return node }
        guard let slope else { throw refuse("with a computed slope") }
        guard slope.rank == 1 else { return node }
        guard case .value(let channels) = dims[1] else { throw refuse("whose channel count is unknown") }
        guard channels == slope.count else { return node }
        var node = node
        node.inputs[1] = addTrailingOnes(slope, rank: dims.count - 1, named: node.inputs[1] + "_per_channel", graph: &graph, names: &names)
        return node
    }

    /// A new initializer holding `tensor` with 1s appended to its shape up to `rank` dims; its name.
    private func addTrailingOnes(_ tensor: Tensor, rank: Int, named base: String, graph: inout Graph, names: inout NameScope) -> String {
        let name = names.fresh(base)
        graph.initializers[name] = tensor.reshaped(tensor.shape + Array(repeating: 1, count: rank - tensor.rank))
        return name
    }

    /// Opset < 13 Softmax: coerce the input to 2-D [prod(d[..<axis]), prod(d[axis...])] and normalise
    /// each row. Equal to opset-13 Softmax(axis) when axis is the last one; otherwise flatten, apply on
    /// axis 1, and reshape back.
    private func convertSoftmax(_ node: Node, graph: inout Graph, names: inout NameScope) throws -> [Node] {
        var node = node
        let axis = try node.int("axis", default: 1)
        let rank = graph.declaredType(of: node.inputs[0])?.shape?.count
        if axis == -1 || (rank != nil && axis == rank! - 1) {
            node.setAttribute("axis", .int(-1))
            return [node]
        }
        let x = node.inputs[0], y = node.outputs[0]
        let shape = names.fresh(y + "_shape"), flat = names.fresh(y + "_flat"), normalized = names.fresh(y + "_2d")
        var op = node
        op.inputs = [flat]
        op.outputs = [normalized]
        op.setAttribute("axis", .int(1))
        return [
            Node(name: names.fresh(node.displayName + "_shape"), opType: "Shape", inputs: [x], outputs: [shape]),
            Node(name: names.fresh(node.displayName + "_flatten"), opType: "Flatten", inputs: [x], outputs: [flat],
                 attributes: [Attribute(name: "axis", value: .int(Int64(axis)))]),
            op,
            Node(name: names.fresh(node.displayName + "_reshape"), opType: "Reshape", inputs: [normalized, shape], outputs: [y]),
        ]
    }
}
