import QConvertIR

extension Ops {
    /// Tile: repeats the input `repeats[d]` times along each dim d:
    /// out[i0, ..., ik] = input[i0 mod d0, ..., ik mod dk], with out dim d = repeats[d] * input dim d.
    /// Any fixed-width type.
    enum Tile: Operator {
        static let type = "Tile"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                let repeats = try inputs.required(1, "repeats").intValues("repeats")
                guard repeats.count == x.rank, repeats.allSatisfy({ $0 >= 0 }) else {
                    throw QConvertError("repeats \(repeats) must be \(x.rank) non-negative counts for shape \(x.shape)")
                }
                // View the output as [r0, d0, r1, d1, ...] reading the input with stride 0 along each r.
                let strides = StridedCopy.contiguousStrides(x.shape)
                var viewShape: [Int] = [], viewStrides: [Int] = []
                for axis in 0..<x.rank {
                    viewShape += [repeats[axis], x.shape[axis]]
                    viewStrides += [0, strides[axis]]
                }
                guard (try? ShapeCount.of(viewShape)) != nil else {
                    throw QConvertError("tiling shape \(x.shape) by \(repeats) is too large: its non-zero dimensions multiply past \(ShapeCount.limit)")
                }
                let tiled = try StridedCopy.copy(x, shape: viewShape, strides: viewStrides, offset: 0, threads: context.threads)
                return [tiled.reshaped(zip(repeats, x.shape).map { $0 * $1 })]
            }
        }
    }
}

extension Ops.Tile: ShapeInferable {
    /// Each dim times its repeat count; a symbolic dim keeps its name where the count is 1 (and is 0
    /// where it is 0). Unknown counts leave every dim unknown, the rank still known.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        guard let repeats = query.ints(1) else { return [ValueFacts(type, x.map { _ in .unknown })] }
        guard repeats.count == x.count, repeats.allSatisfy({ $0 >= 0 }) else {
            throw QConvertError("repeats \(repeats) must be \(x.count) non-negative counts for shape \(x)")
        }
        return [ValueFacts(type, try zip(x, repeats).map { dim, count in
            count == 0 ? .value(0) : try dim.mapped(unitStep: count == 1) { size in
                guard let product = Tensor.checkedElementCount([size, count]) else { throw QConvertError("tiling shape \(x) by \(repeats) overflows") }
                return product
            }
        })]
    }
}
