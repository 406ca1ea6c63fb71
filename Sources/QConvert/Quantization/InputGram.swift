import QConvertIR

/// Gathers, on calibration samples, the Gram matrix H = sum x x^T of the input vectors each quantized
/// compute node's weight multiplies (one per convolution group): what GPTQ weighs rounding errors by.
///
/// A convolution's input vectors are its im2col columns (channels x kernel positions, zero outside the
/// padded input); a MatMul's or Gemm's are the rows of its input. Positions are subsampled with a
/// fixed stride to at most `positionsPerSample` per sample, so cost stays bounded on large images.
/// Samples run one after another and products are summed in sample order, so the result does not
/// depend on the thread count.
struct InputGram {
    /// How one node's input vectors are formed from its input tensor.
    struct Target {
        enum Kind {
            case convolution(WindowAttributes, kernel: [Int])
            case rows
        }

        let node: String
        let input: String
        let kind: Kind
        let groups: Int
        /// Length of one input vector (per group).
        let k: Int
    }

    /// The target for a weight layout, or nil for weights GPTQ does not handle here.
    static func target(for layout: WeightLayout, node: Node) throws -> Target? {
        let w = layout.weight
        switch node.opType {
        case "Conv":
            guard layout.axis == 0 || layout.axis == nil, w.rank >= 3 else { return nil }
            let groups = try node.int("group", default: 1)
            return Target(node: layout.node, input: node.inputs[0], kind: .convolution(try WindowAttributes(node), kernel: Array(w.shape[2...])),
                          groups: groups, k: w.count / w.shape[0])
        case "MatMul", "Gemm":
            guard w.rank == 2 else { return nil }
            let transB = node.opType == "Gemm" ? try node.int("transB", default: 0) != 0 : false
            let k = transB ? w.shape[1] : w.shape[0]
            return Target(node: layout.node, input: node.inputs[0], kind: .rows, groups: 1, k: k)
        default:
            return nil
        }
    }

    /// Each target's Gram matrices (groups x k x k, row-major) and how many input vectors went in.
    struct Collected {
        var gram: [Float]
        var vectors: Int
    }

    /// Runs `model` on the samples and returns each target's Gram matrices.
    static func collect(model: Model, targets: [Target], samples: CalibrationDataset, positionsPerSample: Int,
                        threads: Int) throws -> [String: Collected] {
        let interpreter = try Interpreter(model: model, threads: threads)
        var byInput: [String: [Target]] = [:]
        for target in targets { byInput[target.input, default: []].append(target) }
        var grams: [String: Collected] = [:]
        for target in targets { grams[target.node] = Collected(gram: [Float](repeating: 0, count: target.groups * target.k * target.k), vectors: 0) }
        for index in 0..<samples.count {
            var failure: Error?
            _ = try samples.withSample(index) { feeds in try interpreter.run(feeds) { name, tensor in
                guard failure == nil, let readers = byInput[name], tensor.dataType == .float else { return }
                for target in readers {
                    do {
                        grams[target.node]!.vectors += try accumulate(target, tensor, into: &grams[target.node]!.gram, cap: positionsPerSample,
                                                                      threads: threads)
                    } catch {
                        failure = error
                    }
                }
            } }
            if let failure { throw failure }
        }
        return grams
    }

    /// Adds one sample's x x^T to `gram`; returns how many vectors x it added (per group).
    @discardableResult
    static func accumulate(_ target: Target, _ x: Tensor, into gram: inout [Float], cap: Int, threads: Int) throws -> Int {
        switch target.kind {
        case .rows:
            guard x.rank >= 1, x.shape.last == target.k else { throw QConvertError("input of '\(target.node)' has shape \(x.shape), expected last dimension \(target.k)") }
            let rows = x.count / target.k, stride = max(1, (rows + cap - 1) / cap)
            let picked = (rows + stride - 1) / stride
            var columns = [Float](repeating: 0, count: picked * target.k)
            x.withElements(of: Float.self) { src in
                for (n, r) in Swift.stride(from: 0, to: rows, by: stride).enumerated() {
                    for j in 0..<target.k { columns[n * target.k + j] = src[r * target.k + j] }
                }
            }
            // gram += columns^T columns  (columns: picked x k)
            addGram(vectorsAsRows: columns, count: picked, k: target.k, into: &gram, offset: 0, threads: threads)
            return picked
        case .convolution(let attributes, let kernel):
            guard x.rank == kernel.count + 2, x.shape[1] % target.groups == 0 else {
                throw QConvertError("input of '\(target.node)' has shape \(x.shape), which does not fit its weight")
            }
            let window = try attributes.window(input: Array(x.shape[2...]), kernel: kernel)
            let channels = x.shape[1] / target.groups, batch = x.shape[0]
            // Each vector holds channels x window values: more than k would write past the buffer
            // (the hook sees the input before the Conv itself checks it against its weight).
            guard channels * window.kernelSize == target.k else {
                throw QConvertError("input of '\(target.node)' has shape \(x.shape), which does not fit its weight")
            }
            let positions = batch * window.outputSize, stride = max(1, (positions + cap - 1) / cap)
            let picked = (positions + stride - 1) / stride
            var vectors = [Float](repeating: 0, count: picked * target.k)
            let origins = PickedOrigins(window: window, stride: stride, picked: picked)
            x.withElements(of: Float.self) { src in
                for group in 0..<target.groups {
                    vectors.withUnsafeMutableBufferPointer { out in
                        fillColumns(src, window: window, origins: origins, firstChannel: group * channels, channels: channels,
                                    channelCount: x.shape[1], k: target.k, into: out)
                    }
                    addGram(vectorsAsRows: vectors, count: picked, k: target.k, into: &gram, offset: group * target.k * target.k, threads: threads)
                }
            }
            return picked
        }
    }

    /// Where the window of every `stride`-th output position starts in the input (batch index and
    /// first input coordinate per spatial axis, padding subtracted): decoded once per tensor rather
    /// than once per convolution group, which a depthwise layer has hundreds of.
    struct PickedOrigins {
        var batch: [Int] = [], start0: [Int] = [], start1: [Int] = [], start2: [Int] = []

        init(window: SpatialWindow, stride: Int, picked: Int) {
            let o = window.output, outputs = window.outputSize
            for n in 0..<picked {
                let position = n * stride
                let rest = position % outputs
                batch.append(position / outputs)
                start0.append(rest / (o[1] * o[2]) * window.strides[0] - window.padBegin[0])
                start1.append((rest / o[2]) % o[1] * window.strides[1] - window.padBegin[1])
                start2.append(rest % o[2] * window.strides[2] - window.padBegin[2])
            }
        }
    }

    /// The im2col vectors (channel-major, then kernel positions) of the picked output positions.
    static func fillColumns(_ src: UnsafeBufferPointer<Float>, window: SpatialWindow, origins: PickedOrigins, firstChannel: Int, channels: Int,
                            channelCount: Int, k: Int, into vectors: UnsafeMutableBufferPointer<Float>) {
        let input = window.input, kern = window.kernel, plane = window.inputSize
        let (in0, in1, in2) = (input[0], input[1], input[2])
        let (k0Count, k1Count, k2Count) = (kern[0], kern[1], kern[2])
        let (d0, d1, d2) = (window.dilations[0], window.dilations[1], window.dilations[2])
        for n in 0..<origins.batch.count {
            let s0 = origins.start0[n], s1 = origins.start1[n], s2 = origins.start2[n]
            let first = (origins.batch[n] * channelCount + firstChannel) * plane
            var column = n * k
            // A window wholly inside the input (most of them; every 1x1 window without padding) is
            // copied without bounds tests, one strided run per kernel row.
            let inside = s0 >= 0 && s0 + (k0Count - 1) * d0 < in0 && s1 >= 0 && s1 + (k1Count - 1) * d1 < in1
                && s2 >= 0 && s2 + (k2Count - 1) * d2 < in2
            for c in 0..<channels {
                let base = first + c * plane
                for k0 in 0..<k0Count {
                    let i0 = s0 + k0 * d0
                    for k1 in 0..<k1Count {
                        let i1 = s1 + k1 * d1
                        if inside {
                            var index = base + (i0 * in1 + i1) * in2 + s2
                            for _ in 0..<k2Count {
                                vectors[column] = src[index]
                                column += 1
                                index += d2
                            }
                            continue
                        }
                        let rowInside = i0 >= 0 && i0 < in0 && i1 >= 0 && i1 < in1
                        for k2 in 0..<k2Count {
                            let i2 = s2 + k2 * d2
                            vectors[column] = rowInside && i2 >= 0 && i2 < in2 ? src[base + (i0 * in1 + i1) * in2 + i2] : 0
                            column += 1
                        }
                    }
                }
            }
        }
    }

    /// Rows of the Gram matrix computed per product: the blocks right of the diagonal are computed,
    /// those left of it copied (H is symmetric), which halves the work for long input vectors.
    static let blockRows = 64

    /// gram[offset...] += V^T V for `count` vectors of length k stored as the rows of V. Each block of
    /// rows is multiplied from its diagonal rightwards only; the lower triangle is then copied from
    /// the upper one, so H is exactly symmetric.
    static func addGram(vectorsAsRows v: [Float], count: Int, k: Int, into gram: inout [Float], offset: Int, threads: Int) {
        guard count > 0 else { return }
        v.withUnsafeBufferPointer { vp in
            gram.withUnsafeMutableBufferPointer { gp in
                let products = stride(from: 0, to: k, by: blockRows).map { first in
                    MatrixMultiply.Operands(transA: true, transB: false, m: min(blockRows, k - first), n: k - first, k: count,
                                            a: vp.baseAddress! + first, lda: k, b: vp.baseAddress! + first, ldb: k,
                                            c: gp.baseAddress! + offset + first * k + first, ldc: k)
                }
                MatrixMultiply.parallel(products, beta: 1, threads: threads)
                let h = gp.baseAddress! + offset
                for i in 1..<max(k, 1) {
                    for j in 0..<i { h[i * k + j] = h[j * k + i] }
                }
            }
        }
    }
}
