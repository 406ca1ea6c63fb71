import QConvertIR

extension Ops {
    /// ConvTranspose: y[n, g·M/G + m, o] = b + Σ_{c < C/G, k : o = i·s − pad_begin + k·d} x[n, g·C/G + c, i] · w[g·C/G + c, m, k],
    /// the gradient of Conv with respect to its input.
    ///
    /// Computed per image and group as one GEMM, col[(m, k), i] = Σ_c w[c, (m, k)] · x[c, i] (split over
    /// threads by input positions), then `Col2im` sums the columns into output rows (split by rows).
    enum ConvTranspose: Operator {
        static let type = "ConvTranspose"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let outputPadding = try node.ints("output_padding")
            let outputShape = try node.ints("output_shape")
            if let w = context.constant(node, input: 1), w.dataType != .float {
                throw QConvertError("input W must be float32, got \(w.dataType)")
            }
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let w = try inputs.floatInput(1, "W")
                let bias = try inputs.optionalFloatInput(2, "B")
                guard x.rank >= 3 else { throw QConvertError("input X must have rank 3 or more (N, C, spatial...), got shape \(x.shape)") }
                guard w.rank == x.rank else { throw QConvertError("weights W of shape \(w.shape) must have the rank of X \(x.shape)") }
                guard w.shape[0] == x.shape[1], x.shape[1] % groups == 0 else {
                    throw QConvertError("X has \(x.shape[1]) channels but W \(w.shape) with group \(groups) expects \(w.shape[0]), a multiple of the groups")
                }
                let outChannels = w.shape[1] * groups
                if let bias, bias.shape != [outChannels] {
                    throw QConvertError("bias B must have shape [\(outChannels)], got \(bias.shape)")
                }
                let window = try geometry(attributes, input: Array(x.shape[2...]), kernel: Array(w.shape[2...]),
                                          outputPadding: outputPadding, outputShape: outputShape)
                return [convolve(x: x, w: w, bias: bias, groups: groups, window: window, threads: context.threads)]
            }
        }

        /// The output size per axis: out = s·(in − 1) + output_padding + (k − 1)·d + 1 − pad_begin − pad_end,
        /// or out = `output_shape` (else in·s with auto_pad SAME_*) and the pads that give it: the total
        /// split evenly, the odd one at the end for SAME_UPPER and at the beginning otherwise.
        static func geometry(_ attributes: WindowAttributes, input: [Int], kernel: [Int], outputPadding: [Int]?, outputShape: [Int]?) throws -> SpatialWindow {
            let rank = input.count
            guard (1...3).contains(rank) else { throw QConvertError("\(rank) spatial dimensions are not supported (1 to 3 are)") }
            if let kernelShape = attributes.kernelShape, kernelShape != kernel {
                throw QConvertError("kernel_shape \(kernelShape) does not match the weights' spatial shape \(kernel)")
            }
            let strides = try attributes.perAxis(attributes.strides, "strides", rank: rank, fill: 1)
            let dilations = try attributes.perAxis(attributes.dilations, "dilations", rank: rank, fill: 1)
            let adjustments = try attributes.perAxis(outputPadding, "output_padding", rank: rank, fill: 0)
            var (padBegin, padEnd) = try attributes.explicitPads(rank: rank)
            let requested = try outputShape.map { shape -> [Int] in
                guard shape.count >= rank else { throw QConvertError("output_shape \(shape) must give \(rank) spatial sizes") }
                return Array(shape.suffix(rank))
            }
            var output = [Int](repeating: 0, count: rank)
            for axis in 0..<rank {
                let full = strides[axis] * (input[axis] - 1) + adjustments[axis] + (kernel[axis] - 1) * dilations[axis] + 1
                if requested != nil || attributes.autoPad == .sameUpper || attributes.autoPad == .sameLower {
                    output[axis] = requested?[axis] ?? input[axis] * strides[axis]
                    let total = max(0, full - output[axis])
                    padBegin[axis] = attributes.autoPad == .sameUpper ? total / 2 : total - total / 2
                    padEnd[axis] = total - padBegin[axis]
                } else {
                    if attributes.autoPad == .valid { (padBegin[axis], padEnd[axis]) = (0, 0) }
                    output[axis] = full - padBegin[axis] - padEnd[axis]
                }
                guard output[axis] >= 1 else {
                    throw QConvertError("output size \(output[axis]) along spatial axis \(axis) is not positive (pads \(padBegin)/\(padEnd))")
                }
            }
            return SpatialWindow(input: input, output: output, kernel: kernel, strides: strides,
                                 dilations: dilations, padBegin: padBegin, padEnd: padEnd)
        }

        static func convolve(x: Tensor, w: Tensor, bias: Tensor?, groups: Int, window: SpatialWindow, threads: Int) -> Tensor {
            let (batch, channels) = (x.shape[0], x.shape[1])
            let (inPerGroup, outPerGroup) = (channels / groups, w.shape[1])
            let outChannels = outPerGroup * groups
            let rows = outPerGroup * window.kernelSize
            let outputRows = outPerGroup * window.output[0] * window.output[1]
            let biases = bias?.scalars(of: Float.self) ?? [Float](repeating: 0, count: outChannels)
            return x.withElements(of: Float.self) { xs in
                w.withElements(of: Float.self) { ws in
                    Tensor(shape: [batch, outChannels] + window.outputShape, of: Float.self) { ys in
                        guard ys.count > 0, let xp = xs.baseAddress, let wp = ws.baseAddress, let yp = ys.baseAddress else { return }
                        let col = UnsafeMutablePointer<Float>.allocate(capacity: max(1, rows * window.inputSize))
                        defer { col.deallocate() }
                        for image in 0..<batch * groups {
                            let g = image % groups
                            let product = MatrixMultiply.Operands(
                                transA: true, m: rows, n: window.inputSize, k: inPerGroup,
                                a: wp + g * inPerGroup * rows, lda: rows,
                                b: xp + image * inPerGroup * window.inputSize, ldb: window.inputSize,
                                c: col, ldc: window.inputSize)
                            MatrixMultiply.parallel([product], threads: threads)
                            let yImage = yp + image * outPerGroup * window.outputSize
                            let rowWork = max(1, window.output[2] * window.kernelSize)
                            Parallel.forEach(count: outputRows, grain: max(1, (1 << 15) / rowWork), threads: threads) { range in
                                for outputRow in range {
                                    let (plane, oh) = outputRow.quotientAndRemainder(dividingBy: window.output[1])
                                    let (m, od) = plane.quotientAndRemainder(dividingBy: window.output[0])
                                    Col2im.gatherRow(col, channel: m, od: od, oh: oh, bias: biases[g * outPerGroup + m],
                                                     window: window, into: yImage)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
