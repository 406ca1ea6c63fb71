import CKernels
import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

/// Window reductions over the spatial axes of an (N, C, spatial...) tensor, shared by MaxPool,
/// AveragePool, LpPool and their Global* forms.
///
/// Padding never enters a max, and enters an average only through the divisor: each axis is described
/// once by per-output tap ranges (`AxisTaps`), whose counts give the divisors.
enum Pooling {
    enum Reduction {
        /// y = max over the window.
        case max
        /// y = Σ window / count, where count covers the positions inside the input, or with
        /// `includePad` also those in the declared padding (not the extra ceil_mode overhang).
        case average(includePad: Bool)
        /// y = Σ window over the positions inside the input (LpPool's sum of |x|^p).
        case sum
    }

    /// The kernel of a windowed pool (MaxPool, AveragePool, LpPool): the window attributes read once,
    /// then per run X checked against kernel_shape and handed, with its window, to `reduce`.
    static func windowed(_ node: Node, _ reduce: @escaping @Sendable (Tensor, SpatialWindow, RunContext) throws -> [Tensor]) throws -> Kernel {
        let attributes = try WindowAttributes(node)
        guard let kernel = attributes.kernelShape else { throw QConvertError("missing required attribute 'kernel_shape'") }
        return Kernel { inputs, context in
            let x = try inputs.floatInput(0, "X")
            guard x.rank == kernel.count + 2 else {
                throw QConvertError("input X of shape \(x.shape) does not match kernel_shape \(kernel)")
            }
            let window = try attributes.window(input: Array(x.shape[2...]), kernel: kernel, leading: Array(x.shape[..<2]))
            guard x.count > 0 || window.outputSize * x.shape[0] * x.shape[1] == 0 else { throw QConvertError("cannot pool the empty input \(x.shape)") }
            return try reduce(x, window, context)
        }
    }

    /// The input taps of one axis for each output position: `first` input index, `count` taps inside
    /// the input, and `padded` taps inside input plus padding (the include-pad divisor).
    struct AxisTaps {
        var first: [Int] = []
        var count: [Int] = []
        var padded: [Int] = []

        init(window: SpatialWindow, axis: Int) {
            let (size, stride, dilation) = (window.input[axis], window.strides[axis], window.dilations[axis])
            for o in 0..<window.output[axis] {
                let start = o * stride - window.padBegin[axis]
                func taps(from lower: Int, to upper: Int) -> Range<Int> {
                    let low = Swift.max(0, SpatialWindow.ceilDivide(lower - start, dilation))
                    let high = Swift.min(window.kernel[axis] - 1, SpatialWindow.floorDivide(upper - 1 - start, dilation))
                    return low..<Swift.max(low, high + 1)
                }
                let inside = taps(from: 0, to: size)
                first.append(start + inside.lowerBound * dilation)
                count.append(inside.count)
                padded.append(taps(from: -window.padBegin[axis], to: size + window.padEnd[axis]).count)
            }
        }
    }

    /// Pools float tensor `x` (N, C, spatial...) over `window` with the vectorised `qc_pool`, in chunks
    /// of planes; averages divide by the product of the per-axis tap counts.
    static func pool(_ x: Tensor, window: SpatialWindow, reduction: Reduction, threads: Int) -> Tensor {
        let taps = (0..<3).map { AxisTaps(window: window, axis: $0) }
        let planes = x.shape[0] * x.shape[1]
        let geometry = window.geometry(channels: 1)
        let counts: [[Float]]?
        switch reduction {
        case .max: counts = nil
        case .average(let includePad):
            counts = taps.map { axis in (includePad ? axis.padded : axis.count).map { Float(Swift.max(1, $0)) } }
        case .sum:
            counts = taps.map { axis in axis.count.map { _ in 1 } }
        }
        let grain = Swift.max(1, (1 << 16) / Swift.max(1, window.outputSize * window.kernelSize))
        return x.withElements(of: Float.self) { xs in
            Tensor(uninitializedShape: Array(x.shape[..<2]) + window.outputShape, of: Float.self) { ys in
                guard ys.count > 0, let xp = xs.baseAddress, let yp = ys.baseAddress else { return ys.initialize(repeating: 0) }
                withUnsafePointer(to: geometry) { g in
                    let scratchSize = qc_pool_scratch_size(g)
                    Parallel.forEach(count: planes, grain: grain, threads: threads) { range in
                        let scratch = Scratch.floats(scratchSize)
                        defer { scratch.deallocate() }
                        let (first, end, y) = (Int32(range.lowerBound), Int32(range.upperBound), yp + range.lowerBound * window.outputSize)
                        if let counts {
                            qc_pool(xp, g, counts[0], counts[1], counts[2], first, end, y, scratch)
                        } else {
                            qc_pool(xp, g, nil, nil, nil, first, end, y, scratch)
                        }
                    }
                }
            }
        }
    }

    /// Max pooling that also returns, as int64, the flat input index of each maximum (the first of
    /// equal ones; row-major, or column-major over the spatial axes when `columnMajor`). A scalar loop:
    /// the indices are rarely asked for.
    static func maxWithIndices(_ x: Tensor, window: SpatialWindow, columnMajor: Bool, threads: Int) -> (Tensor, Tensor) {
        let taps = (0..<3).map { AxisTaps(window: window, axis: $0) }
        let shape = Array(x.shape[..<2]) + window.outputShape
        let grain = Swift.max(1, (1 << 16) / Swift.max(1, window.outputSize * window.kernelSize))
        var indices: Tensor?
        let y = x.withElements(of: Float.self) { xs in
            Tensor(shape: shape, of: Float.self) { ys in
                indices = Tensor(shape: shape, of: Int64.self) { positions in
                    guard ys.count > 0, xs.count > 0 else { return }
                    Parallel.forEach(count: x.shape[0] * x.shape[1], grain: grain, threads: threads) { range in
                        for plane in range {
                            maxPlane(xs.baseAddress! + plane * window.inputSize, taps, window,
                                     into: ys.baseAddress! + plane * window.outputSize,
                                     indices: positions.baseAddress! + plane * window.outputSize,
                                     offset: plane * window.inputSize, columnMajor: columnMajor)
                        }
                    }
                }
            }
        }
        return (y, indices!)
    }

    /// One (n, c) plane of `maxWithIndices`; `offset` is the plane's start in the input.
    static func maxPlane(
        _ src: UnsafePointer<Float>, _ taps: [AxisTaps], _ window: SpatialWindow, into y: UnsafeMutablePointer<Float>,
        indices: UnsafeMutablePointer<Int64>, offset: Int, columnMajor: Bool
    ) {
        let (inH, inW) = (window.input[1], window.input[2])
        let dilations = window.dilations
        var o = 0
        for od in 0..<window.output[0] {
            for oh in 0..<window.output[1] {
                for ow in 0..<window.output[2] {
                    var best = -Float.greatestFiniteMagnitude, bestAt = 0
                    for td in 0..<taps[0].count[od] {
                        let id = taps[0].first[od] + td * dilations[0]
                        for th in 0..<taps[1].count[oh] {
                            let row = (id * inH + taps[1].first[oh] + th * dilations[1]) * inW
                            for tw in 0..<taps[2].count[ow] {
                                let at = row + taps[2].first[ow] + tw * dilations[2]
                                if src[at] > best { (best, bestAt) = (src[at], at) }
                            }
                        }
                    }
                    y[o] = best
                    indices[o] = Int64(offset + (columnMajor ? transposed(bestAt, window) : bestAt))
                    o += 1
                }
            }
        }
    }

    /// A row-major spatial offset re-expressed column-major (first spatial axis fastest).
    static func transposed(_ offset: Int, _ window: SpatialWindow) -> Int {
        let (inD, inH, inW) = (window.input[0], window.input[1], window.input[2])
        let (d, h, w) = (offset / (inH * inW), (offset / inW) % inH, offset % inW)
        switch window.rank {
        case 1: return w
        case 2: return h + w * inH
        default: return d + inD * (h + inH * w)
        }
    }

    /// Global pooling: y[n, c, 1...] = max, mean or sum of x[n, c, spatial...] (`includePad` means nothing here).
    static func global(_ x: Tensor, _ reduction: Reduction, threads: Int) throws -> Tensor {
        guard x.dataType == .float else { throw QConvertError("input X must be float32, got \(x.dataType)") }
        guard x.rank >= 3 else { throw QConvertError("input X must have rank 3 or more (N, C, spatial...), got shape \(x.shape)") }
        let size = x.shape[2...].reduce(1, *)
        let planes = x.shape[0] * x.shape[1]
        guard size > 0 || planes == 0 else { throw QConvertError("cannot pool an empty spatial extent \(x.shape)") }
        return x.withElements(of: Float.self) { xs in
            Tensor(shape: Array(x.shape[..<2]) + Array(repeating: 1, count: x.rank - 2), of: Float.self) { ys in
                Parallel.forEach(count: planes, grain: Swift.max(1, (1 << 16) / Swift.max(1, size)), threads: threads) { range in
                    for plane in range {
                        let values = UnsafeBufferPointer(rebasing: xs[plane * size..<(plane + 1) * size])
                        switch reduction {
                        case .max: ys[plane] = VectorReduce.max(values)
                        case .average: ys[plane] = VectorReduce.sum(values) / Float(size)
                        case .sum: ys[plane] = VectorReduce.sum(values)
                        }
                    }
                }
            }
        }
    }
}

extension Pooling {
    /// LpPool and GlobalLpPool: y = (Σ |x|^p)^(1/p) over each window, `sum` summing |x|^p per window
    /// (padding adds nothing), for p ≥ 1.
    static func lpNorm(_ x: Tensor, p: Int, threads: Int, sum: (Tensor) throws -> Tensor) throws -> Tensor {
        guard p >= 1 else { throw QConvertError("p must be 1 or more, got \(p)") }
        let powers = Elementwise.map(x, threads: threads, Power(exponent: Float(p)))
        return Elementwise.map(try sum(powers), threads: threads, Root(degree: Float(p)))
    }

    /// |x|^p (x · x for p = 2, the usual case).
    struct Power: UnaryFunction {
        let exponent: Float
        func callAsFunction(_ x: Float) -> Float { exponent == 2 ? x * x : pow(abs(x), exponent) }
    }

    /// s^(1/p).
    struct Root: UnaryFunction {
        let degree: Float
        func callAsFunction(_ s: Float) -> Float { degree == 2 ? s.squareRoot() : pow(s, 1 / degree) }
    }
}
