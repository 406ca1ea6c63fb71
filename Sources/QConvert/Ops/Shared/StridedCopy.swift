import QConvertIR

/// Materialises a strided view of a tensor as a new contiguous tensor of the same type:
///     out[i0, ..., ik] = x[offset + i0 * s0 + ... + ik * sk]
///
/// Why one copier: Transpose (permuted strides), Slice and Split (an offset and stepped strides),
/// Expand (zero strides) and Tile (zero-stride repeats interleaved with the dims) are all this copy.
/// It moves elements as same-width unsigned integers, so it serves every fixed-width type; rows that
/// are contiguous in the input are block copies, broadcast rows are fills.
enum StridedCopy {
    /// Output elements per parallel chunk (rounded to whole rows).
    static let grain = 1 << 16

    /// The view of `x` with `shape`, element `strides` and starting element `offset`. The caller
    /// guarantees every element it reads lies inside `x`.
    static func copy(_ x: Tensor, shape: [Int], strides: [Int], offset: Int, threads: Int) throws -> Tensor {
        let walk = StridedRows(shape: shape, strides: [strides])
        func move<T: TensorElement>(_ type: T.Type) -> Tensor {
            x.withElements(of: T.self) { source in
                Tensor(uninitializedShape: shape, dataType: x.dataType, of: T.self) { out in
                    guard walk.count > 0, let base = source.baseAddress, let target = out.baseAddress else { return }
                    let inner = walk.inner, step = walk.innerStride(0)
                    Parallel.forEach(count: walk.rows, grain: max(1, grain / inner), threads: threads) { rows in
                        walk.forEachRow(rows) { start, offsets in
                            let from = base + offset + offsets[0], to = target + start
                            switch step {
                            case 1: to.update(from: from, count: inner)
                            case 0: to.update(repeating: from[0], count: inner)
                            default: for i in 0..<inner { to[i] = from[i * step] }
                            }
                        }
                    }
                }
            }
        }
        switch x.dataType.bitWidth {
        case 8: return move(UInt8.self)
        case 16: return move(UInt16.self)
        case 32: return move(UInt32.self)
        case 64: return move(UInt64.self)
        default: throw QConvertError("\(x.dataType) tensors are not supported")
        }
    }

    /// Row-major element strides of a contiguous tensor of `shape`.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        return strides
    }
}
