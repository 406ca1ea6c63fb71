import QConvert
import QConvertIR
import Testing

/// Conv and ConvTranspose paths the small op-case fixtures do not reach, checked against direct sums: an
/// image whose band is too large to share, so every work item fills its own (Ops/Shared/ConvGemm+Band.swift),
/// and a transposed convolution split into blocks of output rows (Ops/ConvTranspose.swift).
@Suite struct ConvPathTests {
    /// Deterministic values in [-1, 1].
    func values(_ count: Int, seed: UInt32) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int(state >> 9) % 2001 - 1000) / 1000
        }
    }

    /// Runs one node reading runtime input "x" and initializers w, b, with 1 and 2 threads.
    func run(_ node: Node, x: [Float], _ shape: [Int], w: [Float], _ wShape: [Int], b: [Float]) throws -> (Tensor, Tensor) {
        let graph = Graph(nodes: [node], initializers: ["w": Tensor(shape: wShape, scalars: w), "b": Tensor(shape: [b.count], scalars: b)],
                          inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
        let model = Model(graph: graph)
        let one = try #require(try Interpreter(model: model, threads: 1).run(["x": Tensor(shape: shape, scalars: x)])["y"])
        let two = try #require(try Interpreter(model: model, threads: 2).run(["x": Tensor(shape: shape, scalars: x)])["y"])
        return (one, two)
    }

    func check(_ one: Tensor, _ two: Tensor, against expected: [Float]) {
        let actual = one.scalars(of: Float.self)
        #expect(actual.count == expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) - 1e-4 * abs($1) }.max() ?? 0
        #expect(worst <= 1e-5, "worst excess error \(worst)")
        #expect(Array(one.storage.bytes) == Array(two.storage.bytes), "1 vs 2 threads differ")
    }

    /// A 3-D Conv on a depth-1 input whose depth pad puts the single output slice on padding: the
    /// output is the bias alone (hand-computed: out_d = (1 + 1 - 1) / 2 + 1 = 1, reading depth -1).
    /// The band path, which ignores depth pads, computed the whole convolution (found by review).
    @Test func depthPaddingOnADepthOneInputReadsOnlyPadding() throws {
        let node = Node(name: "c", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: [Attribute(name: "pads", value: .ints([1, 0, 0, 0, 0, 0])), Attribute(name: "strides", value: .ints([2, 1, 1]))])
        let (one, two) = try run(node, x: values(2 * 25, seed: 1), [1, 2, 1, 5, 5], w: values(3 * 2 * 9, seed: 2), [3, 2, 1, 3, 3],
                                 b: [0.5, -1, 2])
        #expect(one.shape == [1, 3, 1, 3, 3])
        check(one, two, against: [Float](repeating: 0.5, count: 9) + [Float](repeating: -1, count: 9) + [Float](repeating: 2, count: 9))
    }

    @Test func transposedConvolutionInRowBlocks() throws {
        let shape = [1, 6, 40, 100], wShape = [6, 4, 3, 3], (stride, pad) = (2, 1)
        let (x, w, b) = (values(shape.reduce(1, *), seed: 7), values(wShape.reduce(1, *), seed: 8), values(4, seed: 9))
        let (oh, ow) = ((shape[2] - 1) * stride - 2 * pad + 3, (shape[3] - 1) * stride - 2 * pad + 3)
        var expected = [Double](repeating: 0, count: 4 * oh * ow)
        for m in 0..<4 {
            for i in 0..<oh * ow { expected[m * oh * ow + i] = Double(b[m]) }
            for c in 0..<6 {
                for ih in 0..<shape[2] {
                    for iw in 0..<shape[3] {
                        for kh in 0..<3 {
                            for kw in 0..<3 {
                                let (r, q) = (ih * stride - pad + kh, iw * stride - pad + kw)
                                guard r >= 0 && r < oh && q >= 0 && q < ow else { continue }
                                expected[(m * oh + r) * ow + q] += Double(w[((c * 4 + m) * 3 + kh) * 3 + kw]) * Double(x[(c * shape[2] + ih) * shape[3] + iw])
                            }
                        }
                    }
                }
            }
        }
        let node = Node(opType: "ConvTranspose", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: [Attribute(name: "pads", value: .ints([1, 1, 1, 1])), Attribute(name: "strides", value: .ints([2, 2]))])
        let (one, two) = try run(node, x: x, shape, w: w, wShape, b: b)
        check(one, two, against: expected.map { Float($0) })
    }

    /// y[m, oh, ow] = b[m] + Σ w[m, c, kh, kw] · x[c, oh·s − p + kh, ow·s − p + kw], in Double.
    func reference(_ x: [Float], _ shape: [Int], _ w: [Float], _ wShape: [Int], _ b: [Float], stride: Int, pad: Int) -> [Float] {
        let (c, h, wd) = (shape[1], shape[2], shape[3]), (m, k) = (wShape[0], wShape[2])
        let (oh, ow) = ((h + 2 * pad - k) / stride + 1, (wd + 2 * pad - k) / stride + 1)
        var y = [Float](repeating: 0, count: m * oh * ow)
        for o in 0..<m {
            for r in 0..<oh {
                for q in 0..<ow {
                    var sum = Double(b[o])
                    for ch in 0..<c {
                        for i in 0..<k {
                            let ih = r * stride - pad + i
                            guard ih >= 0 && ih < h else { continue }
                            for j in 0..<k {
                                let iw = q * stride - pad + j
                                guard iw >= 0 && iw < wd else { continue }
                                sum += Double(w[((o * c + ch) * k + i) * k + j]) * Double(x[(ch * h + ih) * wd + iw])
                            }
                        }
                    }
                    y[(o * oh + r) * ow + q] = Float(sum)
                }
            }
        }
        return y
    }

    @Test(arguments: [1, 2])
    func largeImageBandsPerItem(stride: Int) throws {
        let shape = [1, 12, 90, 256], wShape = [5, 12, 3, 3]
        let (x, w, b) = (values(shape.reduce(1, *), seed: 1), values(wShape.reduce(1, *), seed: 2), values(5, seed: 3))
        let node = Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: [Attribute(name: "pads", value: .ints([1, 1, 1, 1])), Attribute(name: "strides", value: .ints([Int64(stride), Int64(stride)]))])
        let (one, two) = try run(node, x: x, shape, w: w, wShape, b: b)
        check(one, two, against: reference(x, shape, w, wShape, b, stride: stride, pad: 1))
    }
}
