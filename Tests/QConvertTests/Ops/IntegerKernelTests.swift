import QConvert
import QConvertIR
import Testing

/// Integer kernel paths the small op cases do not reach, checked against direct sums: convolutions and
/// products spread over many work items, partial tiles, odd depths (a k pair padded), per-channel
/// ConvInteger weight zero points (which ONNX allows and ONNX Runtime lacks); the same bits for 1, 2
/// and 3 threads; and the fixed-point requantization mode chosen for the whole interpreter.
@Suite struct IntegerKernelTests {
    /// Deterministic 8-bit values (two's-complement bytes when `signed`).
    func bytes(_ count: Int, seed: UInt32, signed: Bool) -> Tensor {
        var state = seed
        let values = (0..<count).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 13)
        }
        let tensor = Tensor(shape: [count], scalars: values)
        return signed ? Tensor(dataType: .int8, shape: [count], storage: tensor.storage) : tensor
    }

    func ints(_ tensor: Tensor) -> [Int] { (tensor.integers() ?? []).map { Int($0) } }

    /// Runs one node whose inputs are runtime inputs `feeds` and initializers `constants`, with 1, 2 and
    /// 3 threads; the outputs must be bit-identical. Returns output "y".
    func run(_ node: Node, feeds: [String: Tensor], constants: [String: Tensor] = [:], requantization: Requantization = .float) throws -> Tensor {
        var graph = Graph(nodes: [node], inputs: feeds.keys.sorted().map { ValueInfo(name: $0) }, outputs: [ValueInfo(name: "y")])
        for (name, tensor) in constants.sorted(by: { $0.key < $1.key }) { graph.initializers[name] = tensor }
        let model = Model(opsetImports: [OpsetImport(domain: "", version: 13), OpsetImport(domain: "com.microsoft", version: 1)], graph: graph)
        let results = try [1, 2, 3].map { threads in
            try #require(try Interpreter(model: model, threads: threads, requantization: requantization).run(feeds)["y"])
        }
        #expect(Array(results[0].storage.bytes) == Array(results[1].storage.bytes), "\(node.opType): 1 vs 2 threads differ")
        #expect(Array(results[0].storage.bytes) == Array(results[2].storage.bytes), "\(node.opType): 1 vs 3 threads differ")
        return results[0]
    }

    /// Convolutions over many work items (odd depth 423, partial tiles) and depthwise ones wider than a
    /// block of outputs, strided and dilated.
    static let convolutions: [(c: Int, m: Int, h: Int, w: Int, k: Int, stride: Int, pad: Int, dilation: Int, groups: Int)] = [
        (94, 40, 37, 36, 3, 2, 1, 1, 2),
        (6, 12, 9, 150, 3, 1, 2, 2, 6),
        (4, 4, 11, 161, 5, 2, 2, 1, 4),
    ]

    @Test(arguments: convolutions.indices)
    func convIntegerMatchesDirectSums(_ index: Int) throws {
        let (c, m, h, w, k, stride, pad, dilation, groups) = Self.convolutions[index]
        let x = bytes(c * h * w, seed: 1, signed: false).reshaped([1, c, h, w])
        let weights = bytes(m * c / groups * k * k, seed: 2, signed: true).reshaped([m, c / groups, k, k])
        let wZero = Tensor(shape: [m], scalars: (0..<m).map { Int8($0 % 7 - 3) })
        let ints64 = { (value: Int) in AttributeValue.ints([Int64](repeating: Int64(value), count: 2)) }
        let node = Node(opType: "ConvInteger", inputs: ["x", "w", "xz", "wz"], outputs: ["y"],
                        attributes: [Attribute(name: "strides", value: ints64(stride)), Attribute(name: "dilations", value: ints64(dilation)),
                                     Attribute(name: "group", value: .int(Int64(groups))),
                                     Attribute(name: "pads", value: .ints([Int64](repeating: Int64(pad), count: 4)))])
        let y = try run(node, feeds: ["x": x], constants: ["w": weights, "xz": Tensor(scalar: UInt8(201)), "wz": wZero])
        let extent = (k - 1) * dilation + 1
        let (oh, ow) = ((h + 2 * pad - extent) / stride + 1, (w + 2 * pad - extent) / stride + 1)
        #expect(y.shape == [1, m, oh, ow] && y.dataType == DataType.int32)
        let (xs, ws, zs) = (ints(x), ints(weights), ints(wZero))
        var expected = [Int](repeating: 0, count: m * oh * ow)
        let (perGroup, outPerGroup) = (c / groups, m / groups)
        for o in 0..<m {
            for i in 0..<oh {
                for j in 0..<ow {
                    var sum = 0
                    for ci in 0..<perGroup {
                        for a in 0..<k {
                            for b in 0..<k {
                                let (r, q) = (i * stride - pad + a * dilation, j * stride - pad + b * dilation)
                                guard r >= 0 && r < h && q >= 0 && q < w else { continue }
                                let input = xs[(((o / outPerGroup) * perGroup + ci) * h + r) * w + q]
                                sum += (ws[((o * perGroup + ci) * k + a) * k + b] - zs[o]) * (input - 201)
                            }
                        }
                    }
                    expected[(o * oh + i) * ow + j] = sum
                }
            }
        }
        #expect(ints(y) == expected)
    }

    @Test func matMulIntegerOverManyItemsMatchesDirectSums() throws {
        let (batch, rows, depth, columns) = (3, 70, 301, 53)
        let a = bytes(batch * rows * depth, seed: 3, signed: true).reshaped([batch, rows, depth])
        let bZero = Tensor(shape: [columns], scalars: (0..<columns).map { Int8($0 % 5 - 2) })
        let node = Node(opType: "MatMulInteger", inputs: ["a", "b", "az", "bz"], outputs: ["y"])
        for bShape in [[depth, columns], [batch, depth, columns]] {
            let b = bytes(bShape.reduce(1, *), seed: 4, signed: true).reshaped(bShape)
            let y = try run(node, feeds: ["a": a], constants: ["b": b, "az": Tensor(scalar: Int8(-9)), "bz": bZero])
            #expect(y.shape == [batch, rows, columns])
            let (av, bv, zs) = (ints(a), ints(b), ints(bZero))
            var expected: [Int] = []
            for n in 0..<batch {
                let bBase = bShape.count == 3 ? n * depth * columns : 0
                for i in 0..<rows {
                    for j in 0..<columns {
                        expected.append((0..<depth).reduce(0) { $0 + (av[(n * rows + i) * depth + $1] + 9) * (bv[bBase + $1 * columns + j] - zs[j]) })
                    }
                }
            }
            #expect(ints(y) == expected, "B \(bShape)")
        }
    }

    /// y = requantize((a − 2) · 0.5) + 3 on exact ties: float rounds them to even, fixed point (as
    /// TensorFlow Lite's SaturatingRoundingDoublingHighMul) up.
    @Test func requantizationModeAppliesToTheWholeInterpreter() throws {
        let a = Tensor(shape: [6, 1], scalars: [UInt8]([0, 1, 3, 5, 7, 9]))
        let node = Node(opType: "QLinearMatMul", inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], outputs: ["y"])
        let constants = ["as": Tensor(scalar: Float(0.5)), "az": Tensor(scalar: UInt8(2)), "b": Tensor(shape: [1, 1], scalars: [Int8(1)]),
                         "bs": Tensor(scalar: Float(1)), "bz": Tensor(scalar: Int8(0)), "ys": Tensor(scalar: Float(1)), "yz": Tensor(scalar: UInt8(3))]
        // a − 2 = -2, -1, 1, 3, 5, 7: halves -1, -0.5, 0.5, 1.5, 2.5, 3.5.
        let float = try run(node, feeds: ["a": a], constants: constants)
        #expect(ints(float) == [2, 3, 3, 5, 5, 7])
        let fixed = try run(node, feeds: ["a": a], constants: constants, requantization: .fixedPoint)
        #expect(ints(fixed) == [2, 3, 4, 5, 6, 7])
    }

    /// The mode matters only where an op requantizes, including inside an If branch; a QDQ graph runs its
    /// Q/DQ pairs as written whatever the mode, which `qconvert run` then tells the user.
    @Test func requantizationMattersOnlyWithRequantizingOps() {
        let qdq = Graph(nodes: [Node(opType: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"]),
                                Node(opType: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"]),
                                Node(opType: "QLinearSigmoid", domain: "com.microsoft", inputs: ["q", "s", "z", "s", "z"], outputs: ["t"])])
        #expect(!Requantization.matters(in: qdq))
        let conv = Graph(nodes: [Node(opType: "QLinearConv", inputs: ["x", "s", "z", "w", "s", "z", "s", "z"], outputs: ["y"])])
        #expect(Requantization.matters(in: conv))
        let add = Graph(nodes: [Node(opType: "QLinearAdd", domain: "com.microsoft", inputs: ["a", "s", "z", "b", "s", "z", "s", "z"], outputs: ["y"])])
        #expect(Requantization.matters(in: add))
        let branching = Graph(nodes: [Node(opType: "If", inputs: ["c"], outputs: ["y"],
                                           attributes: [Attribute(name: "then_branch", value: .graph(conv)), Attribute(name: "else_branch", value: .graph(qdq))])])
        #expect(Requantization.matters(in: branching))
    }

    /// Per-axis DequantizeLinear came with opset 13; ONNX Runtime refuses it before, so the interpreter
    /// does too, naming the node, while per-tensor parameters stay valid at opset 10.
    @Test func perAxisDequantizationNeedsOpsetThirteen() throws {
        let x = Tensor(shape: [2, 2], scalars: [Int8]([1, -2, 3, -4]))
        let node = Node(name: "dq", opType: "DequantizeLinear", inputs: ["x", "s"], outputs: ["y"], attributes: [Attribute(name: "axis", value: .int(0))])
        func model(opset: Int, scale: Tensor) -> Model {
            var graph = Graph(nodes: [node], inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
            graph.initializers["s"] = scale
            return Model(opsetImports: [OpsetImport(domain: "", version: Int64(opset))], graph: graph)
        }
        let perAxis = Tensor(shape: [2], scalars: [Float(0.5), 2])
        let y = try #require(try Interpreter(model: model(opset: 13, scale: perAxis)).run(["x": x])["y"])
        #expect(y.scalars(of: Float.self) == [0.5, -1, 6, -8])
        #expect(throws: QConvertError.self) { try Interpreter(model: model(opset: 11, scale: perAxis)).run(["x": x]) }
        do {
            _ = try Interpreter(model: model(opset: 11, scale: perAxis)).run(["x": x])
        } catch let error as QConvertError {
            #expect(error.description.contains("'dq'") && error.description.contains("needs opset 13"), "\(error)")
        }
        let perTensor = try #require(try Interpreter(model: model(opset: 10, scale: Tensor(scalar: Float(0.5)))).run(["x": x])["y"])
        #expect(perTensor.scalars(of: Float.self) == [0.5, -1, 1.5, -2])
    }
}
