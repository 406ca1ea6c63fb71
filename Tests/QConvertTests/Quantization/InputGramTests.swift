@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// InputGram against a direct im2col written out here: every output position's input vector
/// (zero where the window reaches into padding), summed as x x^T.
@Suite struct InputGramTests {
    /// x[c, i, j] of a [1, channels, size, size] input: distinct values, so a misplaced read shows.
    func input(channels: Int, size: Int, batch: Int = 1) -> Tensor {
        Tensor(shape: [batch, channels, size, size], scalars: (0..<(batch * channels * size * size)).map { Float($0 % 7) - 2.5 + Float($0) / 64 })
    }

    /// sum over output positions of v v^T per group, v the group's channels x kernel window at that
    /// position; with `every` > 1 only every that many positions (counted over batch, rows, columns).
    func directGram(_ x: Tensor, groups: Int, kernel: Int, stride: Int, padBegin: Int, output: Int, every: Int = 1) -> [Float] {
        let values = x.floats()!, channels = x.shape[1] / groups, size = x.shape[2]
        let k = channels * kernel * kernel
        var gram = [Float](repeating: 0, count: groups * k * k)
        for g in 0..<groups {
            for position in Swift.stride(from: 0, to: x.shape[0] * output * output, by: every) {
                let b = position / (output * output), oh = position / output % output, ow = position % output
                var v: [Float] = []
                for c in 0..<channels {
                    for kh in 0..<kernel {
                        for kw in 0..<kernel {
                            let ih = oh * stride - padBegin + kh, iw = ow * stride - padBegin + kw
                            let inside = ih >= 0 && ih < size && iw >= 0 && iw < size
                            v.append(inside ? values[((b * x.shape[1] + g * channels + c) * size + ih) * size + iw] : 0)
                        }
                    }
                }
                for i in 0..<k { for j in 0..<k { gram[g * k * k + i * k + j] += v[i] * v[j] } }
            }
        }
        return gram
    }

    func collected(_ x: Tensor, weightShape: [Int], attributes: [String: AttributeValue], cap: Int = 4096) throws -> (gram: [Float], vectors: Int) {
        var b = GraphBuilder()
        let input = b.input("x", x.shape)
        let w = b.constant("w", Tensor(shape: weightShape, scalars: [Float](repeating: 1, count: weightShape.reduce(1, *))))
        _ = b.node("Conv", [input, w], attributes, name: "conv")
        let node = try #require(b.model.graph.nodes.last)
        let groups = attributes["group"].flatMap { if case .int(let g) = $0 { Int(g) } else { nil } } ?? 1
        let k = weightShape.dropFirst().reduce(1, *)
        let target = InputGram.Target(node: "conv", input: input, kind: .convolution(try WindowAttributes(node), kernel: Array(weightShape[2...])),
                                      groups: groups, k: k)
        var gram = [Float](repeating: 0, count: groups * k * k)
        let vectors = try InputGram.accumulate(target, x, into: &gram, cap: cap, threads: 1)
        return (gram, vectors)
    }

    func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
    }

    /// A 1x1 stride-2 window with padding only at the end: its last output row and column start in
    /// the padding, so their vectors are zero (4x4 input, 3x3 output).
    @Test func pointwiseWindowReachingIntoEndPadding() throws {
        let x = input(channels: 3, size: 4)
        let (gram, vectors) = try collected(x, weightShape: [2, 3, 1, 1], attributes: ["strides": .ints([2, 2]), "pads": .ints([0, 0, 1, 1])])
        #expect(vectors == 9)
        #expect(close(gram, directGram(x, groups: 1, kernel: 1, stride: 2, padBegin: 0, output: 3)))
    }

    /// A depthwise-style grouped 3x3 convolution with padding 1: one Gram matrix per group.
    @Test func groupedPaddedWindow() throws {
        let x = input(channels: 2, size: 5)
        let (gram, vectors) = try collected(x, weightShape: [2, 1, 3, 3], attributes: ["group": .int(2), "pads": .ints([1, 1, 1, 1])])
        #expect(vectors == 25)
        #expect(close(gram, directGram(x, groups: 2, kernel: 3, stride: 1, padBegin: 1, output: 5)))
    }

    /// Vectors longer than one block of Gram rows (8 channels x 3x3 = 72 > 64): blocks right of the
    /// diagonal are multiplied, the lower triangle copied; the whole matrix must still be x x^T.
    @Test func vectorsLongerThanOneBlockOfRows() throws {
        let x = input(channels: 8, size: 4)
        #expect(8 * 9 > InputGram.blockRows)
        let (gram, vectors) = try collected(x, weightShape: [3, 8, 3, 3], attributes: ["pads": .ints([1, 1, 1, 1])])
        #expect(vectors == 16)
        #expect(close(gram, directGram(x, groups: 1, kernel: 3, stride: 1, padBegin: 1, output: 4)))
    }

    /// A plain 1x1 convolution: the strided per-channel read.
    @Test func pointwiseWindow() throws {
        let x = input(channels: 4, size: 3)
        let (gram, _) = try collected(x, weightShape: [2, 4, 1, 1], attributes: [:])
        #expect(close(gram, directGram(x, groups: 1, kernel: 1, stride: 1, padBegin: 0, output: 3)))
    }

    /// Two images of 3x3 outputs (18 positions) capped at 6 vectors: every third position, across
    /// the batch.
    @Test func subsampledPositionsAcrossTheBatch() throws {
        let x = input(channels: 2, size: 3, batch: 2)
        let (gram, vectors) = try collected(x, weightShape: [3, 2, 3, 3], attributes: ["pads": .ints([1, 1, 1, 1])], cap: 6)
        #expect(vectors == 6)
        #expect(close(gram, directGram(x, groups: 1, kernel: 3, stride: 1, padBegin: 1, output: 3, every: 3)))
    }

    /// An input with more channels than the weight reads is an error, not a write past the buffer.
    @Test func inputThatDoesNotFitTheWeightIsAnError() throws {
        #expect(throws: QConvertError.self) { try collected(input(channels: 4, size: 3), weightShape: [4, 2, 1, 1], attributes: [:]) }
    }
}
