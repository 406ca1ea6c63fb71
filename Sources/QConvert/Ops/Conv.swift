import QConvertIR

extension Ops {
    /// Conv: y[n, m, o] = b[m] + Σ_{c < C/G, k} w[m, c, k] · x[n, g·C/G + c, o·s − pad_begin + k·d],
    /// where g = m / (M/G) is output channel m's group and x reads as 0 outside the input.
    ///
    /// Three paths, chosen per run from the shapes: a 1×1, stride-1, unpadded conv multiplies the
    /// weights by the input directly (the input already is the column matrix); a depthwise conv (one
    /// input channel per group) runs the direct `DepthwiseConv` kernel; every other conv lays patches
    /// out with `Im2col` and multiplies with `MatrixMultiply`, one chunk of output positions at a time.
    enum Conv: Operator {
        static let type = "Conv"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            if let w = context.constant(node, input: 1), w.dataType != .float {
                throw QConvertError("input W must be float32, got \(w.dataType)")
            }
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let w = try inputs.floatInput(1, "W")
                let bias = try inputs.optionalFloatInput(2, "B")
                let window = try checkShapes(x: x, w: w, bias: bias, groups: groups, attributes)
                return [convolve(x: x, w: w, bias: bias, groups: groups, window: window, threads: context.threads)]
            }
        }

        /// Checks X (N, C, spatial...), W (M, C/G, kernel...) and B (M) agree; returns the geometry.
        static func checkShapes(x: Tensor, w: Tensor, bias: Tensor?, groups: Int, _ attributes: WindowAttributes) throws -> SpatialWindow {
            guard x.rank >= 3 else { throw QConvertError("input X must have rank 3 or more (N, C, spatial...), got shape \(x.shape)") }
            guard w.rank == x.rank else { throw QConvertError("weights W of shape \(w.shape) must have the rank of X \(x.shape)") }
            guard x.shape[1] == w.shape[1] * groups else {
                throw QConvertError("X has \(x.shape[1]) channels but W \(w.shape) with group \(groups) expects \(w.shape[1] * groups)")
            }
            guard w.shape[0] % groups == 0 else { throw QConvertError("\(w.shape[0]) output channels do not split into \(groups) groups") }
            if let bias, bias.shape != [w.shape[0]] {
                throw QConvertError("bias B must have shape [\(w.shape[0])], got \(bias.shape)")
            }
            return try attributes.window(input: Array(x.shape[2...]), kernel: Array(w.shape[2...]))
        }

        static func convolve(x: Tensor, w: Tensor, bias: Tensor?, groups: Int, window: SpatialWindow, threads: Int) -> Tensor {
            let (batch, channels, outChannels) = (x.shape[0], x.shape[1], w.shape[0])
            let outPerGroup = outChannels / groups
            let shape = [batch, outChannels] + window.outputShape
            let biases = bias?.scalars(of: Float.self) ?? [Float](repeating: 0, count: outChannels)
            return x.withElements(of: Float.self) { xs in
                w.withElements(of: Float.self) { ws in
                    Tensor(shape: shape, of: Float.self) { ys in
                        guard ys.count > 0, let xp = xs.baseAddress, let wp = ws.baseAddress, let yp = ys.baseAddress else { return }
                        if channels == groups {
                            depthwise(xp, wp, biases, batch: batch, outChannels: outChannels, channels: channels,
                                      outPerGroup: outPerGroup, window: window, into: yp, threads: threads)
                        } else {
                            let plan = GemmPlan(batch: batch, channels: channels, outChannels: outChannels, groups: groups, window: window)
                            plan.run(xp, wp, biases, into: yp, threads: threads)
                        }
                    }
                }
            }
        }

        /// One `DepthwiseConv.plane` per (image, output channel), several planes per work chunk.
        static func depthwise(
            _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ biases: [Float], batch: Int, outChannels: Int,
            channels: Int, outPerGroup: Int, window: SpatialWindow, into y: UnsafeMutablePointer<Float>, threads: Int
        ) {
            let planeWork = max(1, window.outputSize * window.kernelSize)
            Parallel.forEach(count: batch * outChannels, grain: max(1, (1 << 16) / planeWork), threads: threads) { planes in
                for plane in planes {
                    let (n, m) = plane.quotientAndRemainder(dividingBy: outChannels)
                    DepthwiseConv.plane(x + (n * channels + m / outPerGroup) * window.inputSize,
                                        weights: w + m * window.kernelSize, bias: biases[m], window: window,
                                        into: y + plane * window.outputSize)
                }
            }
        }
    }
}

extension Ops.Conv {
    /// The GEMM formulation: per image and group, Y_g[M/G × P] = W_g[M/G × R] · col[R × P] with
    /// R = C/G · kernel size and P output positions, in fixed chunks of output positions.
    struct GemmPlan {
        let batch: Int
        let channels: Int
        let outChannels: Int
        let groups: Int
        let window: SpatialWindow

        var inPerGroup: Int { channels / groups }
        var outPerGroup: Int { outChannels / groups }
        var rows: Int { inPerGroup * window.kernelSize }
        var positions: Int { window.outputSize }

        /// Output positions per chunk: GEMM-sized, and for im2col at most ~1 MB of columns.
        var grain: Int {
            let gemm = MatrixMultiply.columnGrain(m: outPerGroup, k: rows)
            let cache = window.isPointwise ? gemm : max(16, (1 << 18) / max(1, rows) / 16 * 16)
            return min(positions, gemm, cache)
        }

        func run(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ biases: [Float], into y: UnsafeMutablePointer<Float>, threads: Int) {
            let grain = self.grain
            let chunks = (positions + grain - 1) / grain
            Parallel.forEach(count: batch * groups * chunks, grain: 1, threads: threads) { items in
                for item in items {
                    let (image, chunk) = item.quotientAndRemainder(dividingBy: chunks)
                    let (n, g) = image.quotientAndRemainder(dividingBy: groups)
                    let columns = chunk * grain..<min(positions, (chunk + 1) * grain)
                    let xg = x + (n * channels + g * inPerGroup) * window.inputSize
                    let yg = y + (n * outChannels + g * outPerGroup) * positions
                    multiply(xg, w + g * outPerGroup * rows, columns: columns, into: yg)
                    for m in 0..<outPerGroup where biases[g * outPerGroup + m] != 0 {
                        let bias = biases[g * outPerGroup + m]
                        let line = yg + m * positions
                        for p in columns { line[p] += bias }
                    }
                }
            }
        }

        /// y[:, columns] = w · col[:, columns] for one image and group.
        func multiply(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, columns: Range<Int>, into y: UnsafeMutablePointer<Float>) {
            let product = MatrixMultiply.Operands(m: outPerGroup, n: positions, k: rows, a: w, lda: rows,
                                                  b: x, ldb: positions, c: y, ldc: positions)
            if window.isPointwise {
                MatrixMultiply.run(MatrixMultiply.columns(product, columns))
                return
            }
            let col = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns.count)
            defer { col.deallocate() }
            Im2col.fill(x, channels: inPerGroup, window: window, positions: columns, into: col)
            var block = MatrixMultiply.columns(product, columns)
            block.b = UnsafePointer(col)
            block.ldb = columns.count
            MatrixMultiply.run(block)
        }
    }
}
