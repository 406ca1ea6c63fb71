import QConvertIR

extension Ops {
    /// AffineGrid (opset 20): the sampling grid of a batch of affine transforms, what GridSample reads
    /// in a spatial transformer:
    ///     2-D: θ [N, 2, 3], size (N, C, H, W):        grid[n, h, w]    = θ[n] · (x_w, y_h, 1)       [N, H, W, 2]
    ///     3-D: θ [N, 3, 4], size (N, C, D, H, W):     grid[n, d, h, w] = θ[n] · (x_w, y_h, z_d, 1)  [N, D, H, W, 3]
    /// each coordinate normalised to [-1, 1] along its axis of length L:
    ///     align_corners = 1:  c_i = −1 + 2i / (L − 1)      (1 when L = 1)
    ///     align_corners = 0:  c_i = (2i + 1) / L − 1
    /// An axis of length 1 with align_corners sits at 1 as in ONNX Runtime, whose models these are;
    /// the ONNX reference implementation and PyTorch put it at −1.
    enum AffineGrid: Operator {
        static let type = "AffineGrid"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let alignCorners = try node.int("align_corners", default: 0) != 0
            return Kernel { inputs, _ in
                let theta = try inputs.floatInput(0, "theta")
                guard let size = try inputs.required(1, "size").integers(), size.count == 4 || size.count == 5 else {
                    throw QConvertError("size must be 4 (N, C, H, W) or 5 (N, C, D, H, W) integers")
                }
                let spatial = size.count - 2
                guard theta.shape == [Int(size[0]), spatial, spatial + 1] else {
                    throw QConvertError("theta must have shape \([Int(size[0]), spatial, spatial + 1]) for size \(size), got \(theta.shape)")
                }
                guard size.allSatisfy({ $0 >= 0 }) else { throw QConvertError("size \(size) has a negative entry") }
                // Output axes in order (D,) H, W; coordinates in order x (W), y (H), (z (D)).
                let extents = size.dropFirst(2).map { Int($0) }
                let shape = [Int(size[0])] + extents + [spatial]
                let count = try ShapeCount.of(shape)
                let axes = extents.map { length in (0..<length).map { coordinate($0, length, alignCorners) } }
                let t = theta.scalars(of: Float.self)
                var grid = [Float](repeating: 0, count: count)
                let points = extents.reduce(1, *)
                // Homogeneous point (x, y[, z], 1), rewritten for each position: the last output axis is x.
                var point = [Float](repeating: 1, count: spatial + 1)
                for n in 0..<Int(size[0]) {
                    let matrix = Array(t[n * spatial * (spatial + 1)..<(n + 1) * spatial * (spatial + 1)])
                    for p in 0..<points {
                        var rest = p
                        for axis in stride(from: spatial - 1, through: 0, by: -1) {
                            point[spatial - 1 - axis] = axes[axis][rest % extents[axis]]
                            rest /= extents[axis]
                        }
                        for row in 0..<spatial {
                            var sum: Float = 0
                            for column in 0...spatial { sum += matrix[row * (spatial + 1) + column] * point[column] }
                            grid[(n * points + p) * spatial + row] = sum
                        }
                    }
                }
                return [Tensor(shape: shape, scalars: grid)]
            }
        }

        /// Normalised coordinate of position `i` of `length`.
        static func coordinate(_ i: Int, _ length: Int, _ alignCorners: Bool) -> Float {
            alignCorners ? (length == 1 ? 1 : -1 + 2 * Float(i) / Float(length - 1)) : (2 * Float(i) + 1) / Float(length) - 1
        }
    }
}
