@testable import QConvert
import QConvertTestSupport
import Testing

/// GPTQ against its promise: with uncorrelated inputs it is rounding to nearest; with correlated ones
/// it gives a smaller output error ||W X - Q X|| than rounding to nearest on those inputs.
@Suite struct GPTQTests {
    /// Output error sum over inputs of ||(W - s Q) x||^2, from the Gram matrix: trace(D H D^T).
    func outputError(_ w: [Double], _ codes: [Int8], scales: [Double], rows: Int, k: Int, gram: [Double]) -> Double {
        var total = 0.0
        for r in 0..<rows {
            let d = (0..<k).map { w[r * k + $0] - Double(codes[r * k + $0]) * scales[r] }
            for i in 0..<k { for j in 0..<k { total += d[i] * gram[i * k + j] * d[j] } }
        }
        return total
    }

    func nearest(_ w: [Double], scales: [Double], rows: Int, k: Int, qmax: Double) -> [Int8] {
        (0..<(rows * k)).map { Int8(min(max((w[$0] / scales[$0 / k]).rounded(.toNearestOrEven), -qmax), qmax)) }
    }

    @Test func diagonalGramIsRoundToNearest() throws {
        var random = RandomTensors(seed: 1)
        let rows = 3, k = 7, qmax = 127.0
        let w = (random.normal([rows * k]).floats() ?? []).map(Double.init)
        let scales = (0..<rows).map { r in (0..<k).map { abs(w[r * k + $0]) }.max()! / qmax }
        var gram = [Double](repeating: 0, count: k * k)
        for i in 0..<k { gram[i * k + i] = Double(i + 1) }
        let codes = try #require(GPTQ.round(weights: w, rows: rows, k: k, scales: scales, qmax: qmax, gram: gram))
        #expect(codes == nearest(w, scales: scales, rows: rows, k: k, qmax: qmax))
    }

    /// An input that was zero on every fitted sample (a dead channel) says nothing about its
    /// weights; other inputs may still need them, so they are rounded to nearest, not zeroed
    /// (review: a channel silent in the first 16 samples lost its weights for every input).
    @Test func inputZeroOnTheSamplesKeepsItsWeights() throws {
        var random = RandomTensors(seed: 2)
        let rows = 2, k = 5, qmax = 127.0, dead = 3
        let w = (random.normal([rows * k]).floats() ?? []).map(Double.init)
        let scales = (0..<rows).map { r in (0..<k).map { abs(w[r * k + $0]) }.max()! / qmax }
        let x = (random.normal([20 * k]).floats() ?? []).map(Double.init)
        var gram = [Double](repeating: 0, count: k * k)
        for n in 0..<20 { for i in 0..<k where i != dead { for j in 0..<k where j != dead { gram[i * k + j] += x[n * k + i] * x[n * k + j] } } }
        let codes = try #require(GPTQ.round(weights: w, rows: rows, k: k, scales: scales, qmax: qmax, gram: gram))
        let expected = nearest(w, scales: scales, rows: rows, k: k, qmax: qmax)
        for r in 0..<rows { #expect(codes[r * k + dead] == expected[r * k + dead], "row \(r)") }
    }

    /// A NaN or infinite weight or Gram entry (a mutant of ppocr_cls trapped converting a NaN code
    /// to Int8) gives nil: the caller rounds to nearest, which handles such a model.
    @Test func nonFiniteValuesAreLeftToNearestRounding() {
        let k = 2, identity: [Double] = [1, 0, 0, 1]
        #expect(GPTQ.round(weights: [.nan, 1], rows: 1, k: k, scales: [0.01], qmax: 127, gram: identity) == nil)
        #expect(GPTQ.round(weights: [1, 1], rows: 1, k: k, scales: [0.01], qmax: 127, gram: [.infinity, 0, 0, 1]) == nil)
        #expect(GPTQ.round(weights: [1, 1], rows: 1, k: k, scales: [.nan], qmax: 127, gram: identity) == nil)
        #expect(GPTQ.round(weights: [1, 1], rows: 1, k: k, scales: [0.01], qmax: 127, gram: identity) != nil)
    }

    @Test(arguments: [7.0, 63.0, 127.0])
    func correlatedInputsGiveSmallerOutputError(qmax: Double) throws {
        var random = RandomTensors(seed: 2)
        let rows = 6, k = 24, samples = 200
        let w = (random.normal([rows * k]).floats() ?? []).map(Double.init)
        // Inputs with strong correlation between neighbouring features: x_j = z + small noise.
        let z = (random.normal([samples]).floats() ?? []).map(Double.init)
        let noise = (random.normal([samples * k], std: 0.3).floats() ?? []).map(Double.init)
        var gram = [Double](repeating: 0, count: k * k)
        for s in 0..<samples {
            let x = (0..<k).map { z[s] + noise[s * k + $0] }
            for i in 0..<k { for j in 0..<k { gram[i * k + j] += x[i] * x[j] } }
        }
        let scales = (0..<rows).map { r in (0..<k).map { abs(w[r * k + $0]) }.max()! / qmax }
        let gptq = try #require(GPTQ.round(weights: w, rows: rows, k: k, scales: scales, qmax: qmax, gram: gram))
        let rtn = nearest(w, scales: scales, rows: rows, k: k, qmax: qmax)
        let gptqError = outputError(w, gptq, scales: scales, rows: rows, k: k, gram: gram)
        let rtnError = outputError(w, rtn, scales: scales, rows: rows, k: k, gram: gram)
        #expect(gptqError < rtnError * 0.8, "GPTQ \(gptqError) vs nearest \(rtnError)")
        #expect(gptq.allSatisfy { abs(Double($0)) <= qmax })
    }

    @Test func inverseCholeskyFactorInvertsTheMatrix() throws {
        // U^T U = H^-1  <=>  U H U^T = I.
        let n = 5
        var random = RandomTensors(seed: 3)
        let a = (random.normal([n * n]).floats() ?? []).map(Double.init)
        var h = SymmetricSolver.Matrix(n: n, values: [Double](repeating: 0, count: n * n))
        for i in 0..<n { for j in 0..<n { for k in 0..<n { h[i, j] += a[k * n + i] * a[k * n + j] } }; h[i, i] += 0.5 }
        let u = try #require(SymmetricSolver.inverseCholeskyUpper(h))
        for i in 0..<n {
            for j in 0..<n {
                var value = 0.0
                for p in 0..<n { for q in 0..<n { value += u[i, p] * h[p, q] * u[j, q] } }
                #expect(abs(value - (i == j ? 1 : 0)) < 1e-9)
                if j < i { #expect(u[i, j] == 0) }
            }
        }
    }
}
