import QConvert
import QConvertIR
import Testing

/// Conv paths the small op-case fixtures do not reach: an image whose band is too large to share, so
/// every work item fills its own (Ops/Shared/ConvGemm+Band.swift), checked against a direct sum.
@Suite struct ConvPathTests {
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
        var state: UInt32 = 12345
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int(state >> 9) % 2001 - 1000) / 1000
        }
        let x = (0..<shape.reduce(1, *)).map { _ in next() }
        let w = (0..<wShape.reduce(1, *)).map { _ in next() }
        let b = (0..<wShape[0]).map { _ in next() }
        let node = Node(opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: [Attribute(name: "pads", value: .ints([1, 1, 1, 1])), Attribute(name: "strides", value: .ints([Int64(stride), Int64(stride)]))])
        let graph = Graph(nodes: [node], initializers: ["w": Tensor(shape: wShape, scalars: w), "b": Tensor(shape: [wShape[0]], scalars: b)],
                          inputs: [ValueInfo(name: "x")], outputs: [ValueInfo(name: "y")])
        let model = Model(graph: graph)
        let expected = reference(x, shape, w, wShape, b, stride: stride, pad: 1)
        let one = try #require(try Interpreter(model: model, threads: 1).run(["x": Tensor(shape: shape, scalars: x)])["y"])
        let two = try #require(try Interpreter(model: model, threads: 2).run(["x": Tensor(shape: shape, scalars: x)])["y"])
        let actual = one.scalars(of: Float.self)
        #expect(actual.count == expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) - 1e-4 * abs($1) }.max() ?? 0
        #expect(worst <= 1e-5, "worst excess error \(worst)")
        #expect(Array(one.storage.bytes) == Array(two.storage.bytes), "1 vs 2 threads differ")
    }
}
