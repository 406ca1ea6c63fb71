import QConvertIR

/// What LSTM, GRU and RNN share: attributes, input checking, the input projection X·Wᵀ + Wb computed
/// for all time steps at once, the time-step loop over directions (with per-batch sequence lengths)
/// and the output layout. The cells themselves (the gate equations) live in Ops/LSTM.swift,
/// Ops/GRU.swift and Ops/RNN.swift.
struct Recurrent {
    /// Whether each direction runs backwards in time: [false], [true] or [false, true].
    let reversed: [Bool]
    /// Gate activations, the op's number of them (`defaultActivations.count`) for each direction in turn.
    let activations: [RecurrentActivation]
    let clip: Float?
    let hiddenSize: Int?
    /// Weight blocks per direction: 4 for LSTM (i, o, f, c), 3 for GRU (z, r, h), 1 for RNN.
    let gates: Int

    init(_ node: Node, gates: Int, defaultActivations: [String]) throws {
        self.gates = gates
        reversed = try Self.directions(node)
        let names: [String]
        if case .strings(let values)? = node.attribute("activations") {
            names = values.map { String(decoding: $0, as: UTF8.self) }
        } else {
            names = reversed.flatMap { _ in defaultActivations }
        }
        guard names.count == defaultActivations.count * reversed.count else {
            throw QConvertError("activations must name \(defaultActivations.count) functions per direction, got \(names.count)")
        }
        activations = try RecurrentActivation.parse(names, alphas: try node.floats("activation_alpha") ?? [],
                                                    betas: try node.floats("activation_beta") ?? [])
        clip = node.attribute("clip") == nil ? nil : try node.float("clip")
        if try node.int("layout", default: 0) != 0 {
            throw QConvertError("layout 1 (batch first) is not supported, as in ONNX Runtime")
        }
        hiddenSize = node.attribute("hidden_size") == nil ? nil : try node.int("hidden_size")
    }

    /// The recurrent ops' quantization rule: W [directions, gates·hidden, input] and R [directions,
    /// gates·hidden, hidden] stored in int8 when constant, one scale per gate row (axis 1, shared by
    /// the directions); X, B and the states stay float.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) -> QuantizationRule? {
        guard node.inputs.count >= 3, isConstant(node.inputs[1]), isConstant(node.inputs[2]) else { return nil }
        return QuantizationRule(.storedWeights(inputs: [1, 2], axis: 1), activationInputs: [])
    }

    /// Per direction `node` names, whether it runs backwards in time.
    static func directions(_ node: Node) throws -> [Bool] {
        let direction = try node.string("direction", default: "forward")
        switch direction {
        case "forward": return [false]
        case "reverse": return [true]
        case "bidirectional": return [false, true]
        default: throw QConvertError("direction '\(direction)' is not one of forward, reverse, bidirectional")
        }
    }

    /// The checked inputs of one run: X, W, R, biases, lengths.
    struct Inputs {
        let steps: Int
        let batch: Int
        let inputSize: Int
        let hidden: Int
        /// X, [steps, batch, input].
        let x: [Float]
        let w: [Float]
        /// R transposed per direction: [directions, hidden, gates · hidden], so that a step's
        /// H·Rᵀ reads rows of it.
        let rTransposed: [Float]
        /// [directions, 2 · gates · hidden]: input biases then recurrence biases (zeros when absent).
        let bias: [Float]
        let lengths: [Int]
    }

    func inputs(_ inputs: [Tensor?]) throws -> Inputs {
        let x = try inputs.floatInput(0, "X"), w = try inputs.floatInput(1, "W"), r = try inputs.floatInput(2, "R")
        guard x.rank == 3 else { throw QConvertError("input X must have rank 3, got shape \(x.shape)") }
        let (steps, batch) = (x.shape[0], x.shape[1])
        let directions = reversed.count
        guard r.rank == 3, r.shape[0] == directions, r.shape[1] % gates == 0 else {
            throw QConvertError("R must have shape [\(directions), \(gates)·hidden, hidden], got \(r.shape)")
        }
        let hidden = r.shape[2]
        guard hidden > 0 else { throw QConvertError("hidden size must be positive, R has shape \(r.shape)") }
        guard r.shape[1] == gates * hidden, hiddenSize == nil || hiddenSize == hidden else {
            throw QConvertError("R of shape \(r.shape) does not match hidden_size \(hiddenSize ?? hidden)")
        }
        guard w.shape == [directions, gates * hidden, x.shape[2]] else {
            throw QConvertError("W must have shape \([directions, gates * hidden, x.shape[2]]), got \(w.shape)")
        }
        let bias = try inputs.optionalFloatInput(3, "B")
        if let bias, bias.shape != [directions, 2 * gates * hidden] {
            throw QConvertError("B must have shape \([directions, 2 * gates * hidden]), got \(bias.shape)")
        }
        var lengths = Array(repeating: steps, count: batch)
        if inputs.count > 4, let tensor = inputs[4] {
            guard let values = tensor.integers(), values.count == batch, values.allSatisfy({ (0...Int64(steps)).contains($0) }) else {
                throw QConvertError("sequence_lens must hold one integer in 0...\(steps) per batch entry (\(batch)), got \(tensor.dataType) \(tensor.shape)")
            }
            lengths = values.map { Int($0) }
        }
        return Inputs(steps: steps, batch: batch, inputSize: x.shape[2], hidden: hidden, x: x.scalars(of: Float.self),
                      w: w.scalars(of: Float.self), rTransposed: Self.transposeBlocks(r.scalars(of: Float.self), directions, gates * hidden, hidden),
                      bias: bias?.scalars(of: Float.self) ?? Array(repeating: 0, count: directions * 2 * gates * hidden),
                      lengths: lengths)
    }

    /// Each of `count` row-major rows×columns blocks of `values`, transposed.
    static func transposeBlocks(_ values: [Float], _ count: Int, _ rows: Int, _ columns: Int) -> [Float] {
        var result = values
        for block in 0..<count {
            let base = block * rows * columns
            for i in 0..<rows {
                for j in 0..<columns { result[base + j * rows + i] = values[base + i * columns + j] }
            }
        }
        return result
    }

    /// An initial state input ([directions, batch, hidden]), or zeros.
    func initialState(_ inputs: [Tensor?], _ index: Int, _ name: String, _ shape: Inputs) throws -> [Float] {
        let directions = reversed.count
        guard let tensor = try inputs.optionalFloatInput(index, name) else { return Array(repeating: 0, count: directions * shape.batch * shape.hidden) }
        let expected = [directions, shape.batch, shape.hidden]
        guard tensor.shape == expected else { throw QConvertError("\(name) must have shape \(expected), got \(tensor.shape)") }
        return tensor.scalars(of: Float.self)
    }

    /// X·W_dᵀ + Wb_d for every direction d, time step t and batch entry b, at
    /// [((d · steps + t) · batch + b) · gates · hidden].
    func inputProjection(_ s: Inputs, threads: Int) -> [Float] {
        let width = gates * s.hidden, rows = s.steps * s.batch
        var projection = reversed.indices.flatMap { d in
            (0..<rows).flatMap { _ in s.bias[d * 2 * width..<d * 2 * width + width] }
        }
        guard rows > 0, s.inputSize > 0 else { return projection }
        s.x.withUnsafeBufferPointer { x in
            s.w.withUnsafeBufferPointer { w in
                projection.withUnsafeMutableBufferPointer { out in
                    let products = reversed.indices.map { d in
                        MatrixMultiply.Operands(transB: true, m: rows, n: width, k: s.inputSize, a: x.baseAddress!, lda: s.inputSize,
                                                b: w.baseAddress! + d * width * s.inputSize, ldb: s.inputSize,
                                                c: out.baseAddress! + d * rows * width, ldc: width)
                    }
                    MatrixMultiply.parallel(products, beta: 1, threads: threads)
                }
            }
        }
        return projection
    }

    /// Calls `step(direction, reversed, k, active)` for k = 0..<steps for every direction (directions
    /// in parallel), where `active[b]` is the time index batch entry b processes at step k (nil once
    /// its sequence has ended): k forwards, lengths[b] − 1 − k backwards.
    func forEachStep(_ s: Inputs, threads: Int, _ step: (Int, Int, [Int?]) -> Void) {
        Parallel.forEach(count: reversed.count, grain: 1, threads: threads) { directions in
            for d in directions {
                for k in 0..<s.steps {
                    let active = s.lengths.map { length in k < length ? (reversed[d] ? length - 1 - k : k) : nil }
                    step(d, k, active)
                }
            }
        }
    }

    /// Y [steps, directions, batch, hidden] and the final states [directions, batch, hidden] as tensors.
    func outputTensors(y: [Float], states: [[Float]], _ s: Inputs) -> [Tensor] {
        let directions = reversed.count
        return [Tensor(shape: [s.steps, directions, s.batch, s.hidden], scalars: y)]
            + states.map { Tensor(shape: [directions, s.batch, s.hidden], scalars: $0) }
    }

    /// A writable copy of `values` for the step closures (directions write disjoint parts of it in
    /// parallel); the caller deallocates it.
    static func scratch(_ values: [Float]) -> UnsafeMutableBufferPointer<Float> {
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, values.count))
        _ = buffer.initialize(from: values)
        return UnsafeMutableBufferPointer(rebasing: buffer[..<values.count])
    }

    /// Clips a gate's pre-activation to [−clip, clip] when `clip` is set.
    @inline(__always)
    func clipped(_ value: Float) -> Float {
        guard let clip else { return value }
        return min(max(value, -clip), clip)
    }
}

/// LSTM, GRU and RNN: weights stored in int8 and computed in float (`Recurrent.quantizationRule`),
/// outputs Y and `states` final states (`Recurrent.inferOutputs`).
protocol RecurrentOperator: Quantizable, ShapeInferable {
    /// Final states after Y: Y_h, and Y_c for LSTM.
    static var states: Int { get }
}

extension RecurrentOperator {
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        Recurrent.quantizationRule(for: node, isConstant: isConstant)
    }

    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Recurrent.inferOutputs(query, states: states) }
}
