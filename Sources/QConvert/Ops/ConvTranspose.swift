import CKernels
import QConvertIR

extension Ops {
    /// ConvTranspose: y[n, g·M/G + m, o] = b + Σ_{c < C/G, k : o = i·s − pad_begin + k·d} x[n, g·C/G + c, i] · w[g·C/G + c, m, k],
    /// the gradient of Conv with respect to its input.
    ///
    /// Computed per image and group as one GEMM on CKernels, col[(m, k), i] = Σ_c w[c, (m, k)] · x[c, i]
    /// (weights packed transposed at compile time when constant; split over threads by input
    /// positions), then `qc_col2im` sums the columns into output rows (split by rows).
    enum ConvTranspose: Operator {
        static let type = "ConvTranspose"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let attributes = try WindowAttributes(node)
            let groups = try node.int("group", default: 1)
            guard groups >= 1 else { throw QConvertError("group \(groups) must be positive") }
            let outputPadding = try node.ints("output_padding")
            let outputShape = try node.ints("output_shape")
            let constantWeights = context.constant(node, input: 1)
            if let w = constantWeights, w.dataType != .float {
                throw QConvertError("input W must be float32, got \(w.dataType)")
            }
            let packed = constantWeights.flatMap { w in
                w.rank >= 3 && w.shape[0] % groups == 0 ? PackedConvWeights(w, groups: groups, transposed: true) : nil
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
                let (outChannels, overflow) = w.shape[1].multipliedReportingOverflow(by: groups)
                guard !overflow else { throw QConvertError("W \(w.shape) with group \(groups) gives more than \(Int.max) output channels") }
                if let bias, bias.shape != [outChannels] {
                    throw QConvertError("bias B must have shape [\(outChannels)], got \(bias.shape)")
                }
                let window = try geometry(attributes, input: Array(x.shape[2...]), kernel: Array(w.shape[2...]),
                                          outputPadding: outputPadding, outputShape: outputShape, leading: [x.shape[0], outChannels])
                return [convolve(x: x, weights: packed ?? PackedConvWeights(w, groups: groups, transposed: true), bias: bias,
                                 outChannels: outChannels, groups: groups, window: window, threads: context.threads)]
            }
        }

        /// The window of every spatial axis (`AxisAttributes.geometry`), with the attributes checked.
        /// `leading`: the output's batch and channel dims, for the check of its element count.
        static func geometry(_ attributes: WindowAttributes, input: [Int], kernel: [Int], outputPadding: [Int]?, outputShape: [Int]?,
                             leading: [Int] = []) throws -> SpatialWindow {
            let rank = input.count
            guard (1...3).contains(rank) else { throw QConvertError("\(rank) spatial dimensions are not supported (1 to 3 are)") }
            try WindowAttributes.checkExtents(input: input, kernel: kernel)
            let axes = try AxisAttributes(attributes, rank: rank, kernel: kernel, outputPadding: outputPadding, outputShape: outputShape)
            var (output, padBegin, padEnd) = ([Int](), [Int](), [Int]())
            for axis in 0..<rank {
                let sizes = try axes.geometry(axis, input: input[axis], kernel: kernel[axis], attributes)
                output.append(sizes.output)
                padBegin.append(sizes.padBegin)
                padEnd.append(sizes.padEnd)
            }
            try WindowAttributes.checkOutput(output, leading: leading)
            return SpatialWindow(input: input, output: output, kernel: kernel, strides: axes.strides,
                                 dilations: axes.dilations, padBegin: padBegin, padEnd: padEnd)
        }

        /// ConvTranspose's per-axis attributes, resolved for `rank` spatial axes and checked.
        struct AxisAttributes {
            let strides: [Int]
            let dilations: [Int]
            let adjustments: [Int]
            let pads: (begin: [Int], end: [Int])
            /// The spatial part of `output_shape`, when given.
            let requested: [Int]?

            init(_ attributes: WindowAttributes, rank: Int, kernel: [Int], outputPadding: [Int]?, outputShape: [Int]?) throws {
                if let kernelShape = attributes.kernelShape, kernelShape != kernel {
                    throw QConvertError("kernel_shape \(kernelShape) does not match the weights' spatial shape \(kernel)")
                }
                strides = try attributes.perAxis(attributes.strides, "strides", rank: rank, fill: 1)
                dilations = try attributes.perAxis(attributes.dilations, "dilations", rank: rank, fill: 1)
                try WindowAttributes.checkSize(outputPadding, "output_padding")
                adjustments = try attributes.perAxis(outputPadding, "output_padding", rank: rank, fill: 0)
                pads = try attributes.explicitPads(rank: rank)
                requested = try outputShape.map { shape -> [Int] in
                    guard shape.count >= rank else { throw QConvertError("output_shape \(shape) must give \(rank) spatial sizes") }
                    return Array(shape.suffix(rank))
                }
            }

            /// The output size along `axis`: out = s·(in − 1) + output_padding + (k − 1)·d + 1 − pad_begin − pad_end,
            /// or out = `output_shape` (else in·s with auto_pad SAME_*) and the pads that give it: the total
            /// split evenly, the odd one at the end for SAME_UPPER and at the beginning otherwise.
            func geometry(_ axis: Int, input: Int, kernel: Int, _ attributes: WindowAttributes) throws -> (output: Int, padBegin: Int, padEnd: Int) {
                // Shape inference calls this with sizes straight from the file: bounded before any product.
                try WindowAttributes.checkExtents(input: [input], kernel: [kernel])
                let full = strides[axis] * (input - 1) + adjustments[axis] + (kernel - 1) * dilations[axis] + 1
                var (output, padBegin, padEnd) = (0, pads.begin[axis], pads.end[axis])
                if requested != nil || attributes.autoPad == .sameUpper || attributes.autoPad == .sameLower {
                    output = requested?[axis] ?? input * strides[axis]
                    let total = max(0, full - output)
                    padBegin = attributes.autoPad == .sameUpper ? total / 2 : total - total / 2
                    padEnd = total - padBegin
                } else {
                    if attributes.autoPad == .valid { (padBegin, padEnd) = (0, 0) }
                    output = full - padBegin - padEnd
                }
                guard output >= 1 else {
                    throw QConvertError("output size \(output) along spatial axis \(axis) is not positive (pads \(padBegin)/\(padEnd))")
                }
                return (output, padBegin, padEnd)
            }
        }

        static func convolve(x: Tensor, weights: PackedConvWeights, bias: Tensor?, outChannels: Int, groups: Int, window: SpatialWindow,
                             threads: Int) -> Tensor {
            let (batch, inPerGroup, outPerGroup) = (x.shape[0], x.shape[1] / groups, outChannels / groups)
            let geometry = window.geometry(channels: outPerGroup)
            return x.withElements(of: Float.self) { xs in
                Tensor(shape: [batch, outChannels] + window.outputShape, of: Float.self) { ys in
                    guard ys.count > 0, let xp = xs.baseAddress, let yp = ys.baseAddress else { return }
                    Ops.Conv.withBias(bias) { biases in
                        withUnsafePointer(to: geometry) { g in
                            for image in 0..<batch * groups {
                                let product = ColumnProduct(weights: weights, group: image % groups, inputs: inPerGroup,
                                                            x: xp + image * inPerGroup * window.inputSize, window: window)
                                let output = yp + image * outPerGroup * window.outputSize
                                let bias = biases.map { $0 + (image % groups) * outPerGroup }
                                if window.input[0] == 1 && window.output[0] == 1 {
                                    gatherByRowBlocks(product, g, bias: bias, outPerGroup: outPerGroup, into: output, threads: threads)
                                } else {
                                    gatherWhole(product, g, bias: bias, outPerGroup: outPerGroup, into: output, threads: threads)
                                }
                            }
                        }
                    }
                }
            }
        }

        /// 1-D and 2-D: items of output rows, each computing the columns of just the input rows that
        /// reach them (recomputing the few shared by neighbouring items when windows overlap), so the
        /// column block stays in cache.
        static func gatherByRowBlocks(_ product: ColumnProduct, _ g: UnsafePointer<qc_conv_geometry>, bias: UnsafePointer<Float>?,
                                      outPerGroup: Int, into y: UnsafeMutablePointer<Float>, threads: Int) {
            let window = product.window, rowFloats = product.weights.rows * window.input[2]
            let rowsPerItem = max(1, min(window.output[1], (1 << 16) * window.strides[1] / max(1, rowFloats)))
            let span = (rowsPerItem - 1 + (window.kernel[1] - 1) * window.dilations[1]) / window.strides[1] + 2
            Parallel.forEach(count: (window.output[1] + rowsPerItem - 1) / rowsPerItem, grain: 1, threads: threads) { items in
                let col = Scratch.floats(span * rowFloats)
                let scratch = Scratch.floats(qc_gemm_rows_scratch_size())
                defer { col.deallocate(); scratch.deallocate() }
                for item in items {
                    let oh0 = item * rowsPerItem, oh1 = min(window.output[1], oh0 + rowsPerItem)
                    var (ih0, ih1): (Int32, Int32) = (0, 0)
                    qc_col2im_input_rows(g, Int32(oh0), Int32(oh1), &ih0, &ih1)
                    let columns = Int(ih0) * window.input[2]..<Int(ih1) * window.input[2]
                    product.multiply(columns, into: col, ldc: columns.count, scratch: scratch)
                    qc_col2im(col, columns.count, ih0, g, bias, 0, Int32(outPerGroup), Int32(oh0), Int32(oh1), y)
                }
            }
        }

        /// 3-D: the whole column matrix, then items of output channels gather from it.
        static func gatherWhole(_ product: ColumnProduct, _ g: UnsafePointer<qc_conv_geometry>, bias: UnsafePointer<Float>?,
                                outPerGroup: Int, into y: UnsafeMutablePointer<Float>, threads: Int) {
            let inSize = product.window.inputSize
            let col = Scratch.floats(product.weights.rows * inSize)
            defer { col.deallocate() }
            let tile = Int(qc_gemm_tile_columns()), grain = max(16 * tile, (inSize + 7) / 8 + tile - 1) / tile * tile
            Parallel.forEach(count: (inSize + grain - 1) / grain, grain: 1, threads: threads) { chunks in
                let scratch = Scratch.floats(qc_gemm_rows_scratch_size())
                defer { scratch.deallocate() }
                for chunk in chunks {
                    let columns = chunk * grain..<min(inSize, (chunk + 1) * grain)
                    product.multiply(columns, into: col + columns.lowerBound, ldc: inSize, scratch: scratch)
                }
            }
            Parallel.forEach(count: outPerGroup, grain: 1, threads: threads) { channels in
                qc_col2im(col, inSize, 0, g, bias, Int32(channels.lowerBound), Int32(channels.upperBound), 0,
                          Int32(product.window.output[1]), y)
            }
        }

        /// col[(m, k), i] = Σ_c W_g[c, (m, k)] · x[c, i] for one image and group, over input positions i.
        struct ColumnProduct {
            let weights: PackedConvWeights
            let group: Int
            let inputs: Int
            let x: UnsafePointer<Float>
            let window: SpatialWindow

            /// Columns `columns` of the product into `col` (row stride `ldc`).
            func multiply(_ columns: Swift.Range<Int>, into col: UnsafeMutablePointer<Float>, ldc: Int, scratch: UnsafeMutablePointer<Float>) {
                let sources = (0..<inputs).map { Optional(x + $0 * window.inputSize) }
                qc_gemm_rows(weights.group(group, fromRow: 0), Int32(weights.rows), Int32(inputs), sources, Int32(columns.lowerBound),
                             Int32(columns.count), nil, 0, col, Int32(ldc), scratch)
            }
        }
    }
}

extension Ops.ConvTranspose: Quantizable {
    /// Quantized as compute: weight [C_in, C_out/group, k...] per output channel along axis 1, bias as int32.
    /// (Per-axis scales on axis 1 describe one group's channels; with several groups a per-tensor
    /// scale is used instead, since one axis cannot index C_out.)
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard node.inputs.count >= 2, isConstant(node.inputs[1]) else {
            return QuantizationRule(.arithmetic, activationInputs: [0], floatReason: "weight is not a constant")
        }
        let group = try node.int("group", default: 1)
        guard group == 1 else {
            return QuantizationRule(.arithmetic, activationInputs: [0], floatReason: "grouped (group = \(group)): qconvert quantizes ConvTranspose with group 1 only")
        }
        return QuantizationRule(.compute(weight: 1, axis: 1, bias: node.inputs.count > 2 && !node.inputs[2].isEmpty ? 2 : nil))
    }
}

extension Ops.ConvTranspose: ShapeInferable {
    /// Y: [N, M·G, ...] with W [C, M, kernel...], each spatial size from `AxisAttributes.geometry`;
    /// a symbolic size stays only through a stride-1 axis whose pads cancel the kernel.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let w = query.shape(1), x.count >= 3, w.count == x.count,
              let kernel = Dim.numbers(Array(w[2...])) else { return [nil] }
        let attributes = try WindowAttributes(query.node)
        let groups = try query.node.int("group", default: 1)
        let axes = try AxisAttributes(attributes, rank: kernel.count, kernel: kernel, outputPadding: try query.node.ints("output_padding"),
                                      outputShape: try query.node.ints("output_shape"))
        let spatial = try x[2...].enumerated().map { axis, dim in
            if let requested = axes.requested { return Dim.value(requested[axis]) }
            return try dim.mapped(unitStep: axes.strides[axis] == 1) { try axes.geometry(axis, input: $0, kernel: kernel[axis], attributes).output }
        }
        // Overflow-checked: group is an attribute (a hostile file's 2^62 trapped here).
        let channels = w[1].number.flatMap { perGroup in
            let (product, overflow) = perGroup.multipliedReportingOverflow(by: groups)
            return overflow ? nil : Dim.value(product)
        } ?? .unknown
        return [ValueFacts(query.elementType(0) ?? .float, [x[0], channels] + spatial)]
    }
}
