import QConvertIR

extension Ops {
    /// LayerNormalization (opset 17): normalises over the dims from `axis` (default -1) on:
    ///     Y = (X - mean) / sqrt(var + epsilon) * Scale + B
    /// with mean and biased variance per row, Scale and optional B broadcast to the normalised dims.
    /// The optional outputs Mean and InvStdDev (1 / sqrt(var + epsilon)) have X's shape with the
    /// normalised dims set to 1. float32; statistics in float64 (see `Moments`).
    enum LayerNormalization: Operator {
        static let type = "LayerNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: -1)
            let epsilon = Double(try node.float("epsilon", default: 1e-5))
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X"), scale = try inputs.required(1, "Scale")
                let bias = inputs.optional(2)
                guard ([x, scale] + (bias.map { [$0] } ?? [])).allSatisfy({ $0.dataType == .float }) else {
                    throw QConvertError("expects float32 inputs")
                }
                let split = try Axes.normalize(axis, rank: x.rank)
                let layout = AxisLayout(flattening: x.shape, at: split)
                let normalizedShape = Array(x.shape[split...])
                let gamma = try expand(scale, to: normalizedShape, context.threads)
                let beta = try bias.map { try expand($0, to: normalizedShape, context.threads) }
                let statsShape = Array(x.shape[..<split]) + normalizedShape.map { _ in 1 }
                var means = [Float](repeating: 0, count: layout.outer)
                var inverses = [Float](repeating: 0, count: layout.outer)
                let n = layout.extent
                let y = x.withElements(of: Float.self) { source in
                    Tensor(shape: x.shape, of: Float.self) { out in
                        guard x.count > 0 else { return }
                        let input = source.baseAddress!, output = out.baseAddress!
                        means.withUnsafeMutableBufferPointer { means in
                            inverses.withUnsafeMutableBufferPointer { inverses in
                                Parallel.forEach(count: layout.outer, grain: max(1, (1 << 15) / n), threads: context.threads) { rows in
                                    for row in rows {
                                        let (mean, variance) = Moments.of(input + row * n, count: n)
                                        let inverse = 1 / (variance + epsilon).squareRoot()
                                        means[row] = Float(mean)
                                        inverses[row] = Float(inverse)
                                        for k in 0..<n {
                                            let normalized = Float((Double(input[row * n + k]) - mean) * inverse)
                                            output[row * n + k] = normalized * gamma[k] + (beta?[k] ?? 0)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                return [y, Tensor(shape: statsShape, scalars: means), Tensor(shape: statsShape, scalars: inverses)]
            }
        }

        /// A float tensor broadcast (unidirectionally) to `shape`, as a contiguous array.
        static func expand(_ tensor: Tensor, to shape: [Int], _ threads: Int) throws -> [Float] {
            _ = try Broadcast([tensor.shape], to: shape)
            let strides = Broadcast.strides(of: tensor.shape, along: shape.count)
            return try StridedCopy.copy(tensor, shape: shape, strides: strides, offset: 0, threads: threads).scalars(of: Float.self)
        }
    }
}

extension Ops.LayerNormalization: ShapePreserving {}
