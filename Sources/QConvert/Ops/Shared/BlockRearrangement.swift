import QConvertIR

/// Moving blocks of values between the channel and spatial dims of an NCHW tensor (DepthToSpace,
/// SpaceToDepth): a reshape to six dims, a transpose, a reshape back.
enum BlockRearrangement {
    /// x viewed as `view` (the same elements), its dims reordered by `order`, copied, given `shape`.
    static func rearranged(_ x: Tensor, view: [Int], order: [Int], shape: [Int], threads: Int) throws -> Tensor {
        let strides = StridedCopy.contiguousStrides(view)
        return try StridedCopy.copy(x.reshaped(view), shape: order.map { view[$0] }, strides: order.map { strides[$0] }, offset: 0,
                                    threads: threads).reshaped(shape)
    }

    /// Block sizes beyond this are refused (real models use 2 to 8), so b² and the shapes it scales
    /// cannot overflow on a hostile attribute.
    static let largestBlock = 1 << 12

    /// The `blocksize` attribute, checked.
    static func blockSize(_ node: Node) throws -> Int {
        let b = try node.int("blocksize")
        guard (1...largestBlock).contains(b) else { throw QConvertError("blocksize must be 1 to \(largestBlock), got \(b)") }
        return b
    }

    /// An NCHW input's dims.
    static func dims(_ x: Tensor) throws -> (n: Int, c: Int, h: Int, w: Int) {
        guard x.rank == 4 else { throw QConvertError("input must be 4-D (N, C, H, W), got shape \(x.shape)") }
        return (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    }

    /// A declared dim times `factor`, unknown when symbolic or when it overflows.
    static func scaled(_ dim: Dim, by factor: Int) -> Dim {
        dim.number.flatMap { Tensor.checkedElementCount([$0, factor]) }.map { .value($0) } ?? .unknown
    }

    /// A declared dim divided by `divisor`, unknown when symbolic.
    static func divided(_ dim: Dim, by divisor: Int) -> Dim {
        dim.number.map { .value($0 / divisor) } ?? .unknown
    }
}
