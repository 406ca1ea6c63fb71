import QConvertIR

/// numpy-style (multidirectional) broadcasting: the output shape of an elementwise op whose inputs have
/// different shapes, and how each input is read along that output.
///
/// Why a plan: kernels walk the output in rows (see `StridedRows`); a broadcast input has stride 0
/// along the dims it lacks, so equal shapes, a scalar, or a per-channel `[C,1,1]` against `[N,C,H,W]`
/// become a few long rows whose inputs have unit or zero stride, which `Broadcast+Loops.swift`
/// specialises.
struct Broadcast {
    /// The output shape.
    let shape: [Int]
    /// The row walk over `shape`, one strided input per broadcast input.
    let walk: StridedRows

    /// Number of output elements.
    var count: Int { walk.count }

    /// The broadcast output shape of `shapes`: shapes are right-aligned, and in each dimension every
    /// size must be 1 or equal to the others.
    static func shape(_ shapes: [[Int]]) throws -> [Int] {
        // Same shapes, the usual case, need no per-axis work.
        if let first = shapes.first, shapes.allSatisfy({ $0 == first }) { return first }
        var rank = 0
        for shape in shapes { rank = max(rank, shape.count) }
        var result = [Int](repeating: 1, count: rank)
        for shape in shapes {
            let lead = rank - shape.count
            for (axis, size) in shape.enumerated() {
                let current = result[lead + axis]
                if size == current || size == 1 { continue }
                guard current == 1 else {
                    throw QConvertError("shapes \(shapes.map(\.description).joined(separator: " and ")) cannot be broadcast together")
                }
                result[lead + axis] = size
            }
        }
        return result
    }

    /// Plans broadcasting `shapes` against each other.
    init(_ shapes: [[Int]]) throws {
        self.init(checked: shapes, to: try Self.shape(shapes))
    }

    /// Plans reading each of `shapes` along `output`, which each must broadcast to (PRelu's slope to x,
    /// Expand's input to its target).
    init(_ shapes: [[Int]], to output: [Int]) throws {
        guard try Self.shape(shapes + [output]) == output else {
            throw QConvertError("shapes \(shapes.map(\.description).joined(separator: " and ")) cannot be broadcast to \(output)")
        }
        self.init(checked: shapes, to: output)
    }

    /// The plan for shapes known to broadcast to `output`. When each input has all of the output's
    /// elements or just one (same shapes, or a scalar: most elementwise nodes), the walk is one row
    /// with unit or zero strides, built without working out per-axis strides (this planning was ~5% of
    /// a ppocr_cls run).
    private init(checked shapes: [[Int]], to output: [Int]) {
        shape = output
        let count = output.reduce(1, *)
        let counts = shapes.map { $0.reduce(1, *) }
        if counts.allSatisfy({ $0 == count || $0 == 1 }) {
            walk = StridedRows(count: count, innerStrides: counts.map { $0 == count ? 1 : 0 })
        } else {
            walk = StridedRows(shape: output, strides: shapes.map { Self.strides(of: $0, along: output.count) })
        }
    }

    /// Element strides of a tensor of `shape` along the dims of a rank-`rank` output it is
    /// right-aligned to: 0 along the dims it lacks or has size 1 in.
    static func strides(of shape: [Int], along rank: Int) -> [Int] {
        var strides = [Int](repeating: 0, count: rank)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            if shape[axis] != 1 { strides[rank - shape.count + axis] = step }
            step *= shape[axis]
        }
        return strides
    }
}
