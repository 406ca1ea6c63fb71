import QConvertIR

/// Axis arguments as ONNX gives them (negative values count from the end) turned into checked indices.
///
/// Why one place: every op with an `axis`/`axes` argument needs the same range and duplicate checks,
/// and a bad axis must be a clear error, never an out-of-bounds read.
enum Axes {
    /// `axis` in `-rank..<rank` as an index in `0..<rank`.
    static func normalize(_ axis: Int, rank: Int) throws -> Int {
        guard axis >= -rank && axis < rank else {
            throw QConvertError("axis \(axis) is out of range for rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// Each axis normalised; sorted ascending; a repeated axis is an error.
    static func normalize(_ axes: [Int], rank: Int) throws -> [Int] {
        let normalized = try axes.map { try normalize($0, rank: rank) }.sorted()
        for i in normalized.indices.dropFirst() where normalized[i] == normalized[i - 1] {
            throw QConvertError("axis \(normalized[i]) is repeated in \(axes)")
        }
        return normalized
    }
}

/// A shape seen around one axis: `outer` (product of the dims before it), `extent` (the axis itself)
/// and `inner` (product of the dims after it), so element `(o, k, i)` is at `(o * extent + k) * inner + i`.
///
/// Why: Softmax, ArgMax, Concat, Split, Gather and the reductions all walk a tensor this way.
struct AxisLayout {
    let outer: Int
    let extent: Int
    let inner: Int

    init(outer: Int, extent: Int, inner: Int) {
        self.outer = outer
        self.extent = extent
        self.inner = inner
    }

    /// The layout of `shape` around `axis` (already normalised).
    init(_ shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        extent = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    /// `shape` flattened to 2-D at `axis` (opset < 13 Softmax): rows before it, columns from it on.
    init(flattening shape: [Int], at axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        extent = shape[axis...].reduce(1, *)
        inner = 1
    }

    /// The lanes Softmax, LogSoftmax and Hardmax work along, for a node compiled under `opset`: before
    /// opset 13 the input flattened to 2-D at `axis` (default 1), each row a lane; from 13 the one axis
    /// (default -1). Returns the layout for an input shape, checked when the node runs.
    static func lanes(_ node: Node, opset: Int) throws -> ([Int]) throws -> AxisLayout {
        let flattens = opset < 13
        let axis = try node.int("axis", default: flattens ? 1 : -1)
        return { shape in
            let normalized = try Axes.normalize(axis, rank: shape.count)
            return flattens ? AxisLayout(flattening: shape, at: normalized) : AxisLayout(shape, axis: normalized)
        }
    }
}
