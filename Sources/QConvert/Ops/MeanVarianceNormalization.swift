import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// MeanVarianceNormalization: y = (x - mean) / (sqrt(variance) + 1e-9), mean and biased variance
    /// taken over `axes` (default [0, 2, 3]: per channel of an NCHW batch), float32.
    ///
    /// The spec's function body forms the variance as E[x^2] - E[x]^2 and adds epsilon 1e-9 to the
    /// deviation; the variance here is E[(x - mean)^2] in float64 (`Moments`' reasoning: no cancellation,
    /// never negative), so a constant lane gives 0, where ONNX Runtime's kernel (no epsilon) gives NaN.
    enum MeanVarianceNormalization: Operator {
        static let type = "MeanVarianceNormalization"
        static let epsilon = 1e-9

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axes = try node.ints("axes") ?? [0, 2, 3]
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
                let reduced = Set(try Axes.normalize(axes, rank: x.rank))
                // Element i belongs to statistic group(i): its index over the kept axes only.
                var groupStrides = Array(repeating: 0, count: x.rank)
                var groups = 1
                for axis in (0..<x.rank).reversed() where !reduced.contains(axis) {
                    groupStrides[axis] = groups
                    groups *= x.shape[axis]
                }
                // Every element with its group, walked in order (offsets[0]: the group).
                let walk = StridedRows(shape: x.shape, strides: [groupStrides])
                func forEachElement(_ body: (Int, Int) -> Void) {
                    let step = walk.innerStride(0)
                    walk.forEachRow(0..<walk.rows) { start, offsets in
                        for k in 0..<walk.inner { body(start + k, offsets[0] + k * step) }
                    }
                }
                let perGroup = Double(x.count / max(groups, 1))
                return [x.withElements(of: Float.self) { values in
                    var sums = Array(repeating: 0.0, count: groups)
                    forEachElement { i, g in sums[g] += Double(values[i]) }
                    let means = sums.map { $0 / perGroup }
                    var squares = Array(repeating: 0.0, count: groups)
                    forEachElement { i, g in
                        let d = Double(values[i]) - means[g]
                        squares[g] += d * d
                    }
                    let divisors = squares.map { sqrt($0 / perGroup) + epsilon }
                    return Tensor(uninitializedShape: x.shape, of: Float.self) { out in
                        forEachElement { i, g in out[i] = Float((Double(values[i]) - means[g]) / divisors[g]) }
                    }
                }]
            }
        }
    }
}

extension Ops.MeanVarianceNormalization: ShapePreserving {}
