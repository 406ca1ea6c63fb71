import QConvertIR

extension Ops {
    /// RMSNormalization (opset 23): normalises over the dims from `axis` (default -1) on:
    ///     Y = X / sqrt(mean(X²) + epsilon) * Scale
    /// with the mean per row and Scale broadcast to the normalised dims; float32, the mean of squares
    /// in float64 (as `Moments` keeps LayerNormalization's statistics).
    enum RMSNormalization: Operator {
        static let type = "RMSNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: -1)
            let epsilon = Double(try node.float("epsilon", default: 1e-5))
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X"), scale = try inputs.required(1, "scale")
                guard x.dataType == .float, scale.dataType == .float else { throw QConvertError("expects float32 inputs") }
                let split = try Axes.normalize(axis, rank: x.rank)
                let layout = AxisLayout(flattening: x.shape, at: split)
                let gamma = try LayerNormalization.expand(scale, to: Array(x.shape[split...]), context.threads)
                let n = layout.extent
                let y = x.withElements(of: Float.self) { source in
                    Tensor(shape: x.shape, of: Float.self) { out in
                        guard x.count > 0 else { return }
                        let input = source.baseAddress!, output = out.baseAddress!
                        Parallel.forEach(count: layout.outer, grain: max(1, (1 << 15) / n), threads: context.threads) { rows in
                            for row in rows {
                                var squares = 0.0
                                for k in 0..<n { squares += Double(input[row * n + k]) * Double(input[row * n + k]) }
                                let inverse = 1 / (squares / Double(n) + epsilon).squareRoot()
                                for k in 0..<n { output[row * n + k] = Float(Double(input[row * n + k]) * inverse) * gamma[k] }
                            }
                        }
                    }
                }
                return [y]
            }
        }
    }
}

extension Ops.RMSNormalization: ShapePreserving {}
