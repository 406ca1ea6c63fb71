import QConvertIR

/// ONNX's `auto_pad`: explicit pads, no padding, or padding so that output = ceil(input / stride).
enum AutoPad: String {
    case notSet = "NOTSET"
    case valid = "VALID"
    case sameUpper = "SAME_UPPER"
    case sameLower = "SAME_LOWER"
}

/// The window attributes of Conv, ConvTranspose, MaxPool and AveragePool (`auto_pad`, `kernel_shape`,
/// `strides`, `dilations`, `pads`, `ceil_mode`), read and checked once when the node is compiled.
///
/// Why apart from `SpatialWindow`: the spatial input size (and for Conv the kernel size, from the
/// weights) is known only at run time, so the concrete geometry is resolved per run.
struct WindowAttributes {
    let autoPad: AutoPad
    let kernelShape: [Int]?
    let strides: [Int]?
    let dilations: [Int]?
    let pads: [Int]?
    let ceilMode: Bool

    /// The largest kernel size, stride, dilation, pad or output padding accepted (2^24), and the
    /// largest spatial input or output size (the C kernels' int). Far above any real model's, low
    /// enough that no geometry product below overflows: a model with pads of 2^32 is an error, not a
    /// trap.
    static let largestValue = 1 << 24
    static let largestExtent = Int(Int32.max)

    init(_ node: Node) throws {
        let autoPadName = try node.string("auto_pad", default: "NOTSET")
        guard let autoPad = AutoPad(rawValue: autoPadName) else {
            throw QConvertError("auto_pad '\(autoPadName)' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        }
        self.autoPad = autoPad
        kernelShape = try node.ints("kernel_shape")
        strides = try node.ints("strides")
        dilations = try node.ints("dilations")
        pads = try node.ints("pads")
        ceilMode = try node.int("ceil_mode", default: 0) != 0
        if let kernelShape, kernelShape.contains(where: { $0 < 1 }) { throw QConvertError("kernel_shape \(kernelShape) must be positive") }
        if let strides, strides.contains(where: { $0 < 1 }) { throw QConvertError("strides \(strides) must be positive") }
        if let dilations, dilations.contains(where: { $0 < 1 }) { throw QConvertError("dilations \(dilations) must be positive") }
        if let pads, pads.contains(where: { $0 < 0 }) { throw QConvertError("pads \(pads) must not be negative") }
        for (name, values) in [("kernel_shape", kernelShape), ("strides", strides), ("dilations", dilations), ("pads", pads)] {
            try Self.checkSize(values, name)
        }
    }

    /// Fails if a value of a window attribute (or of the weights' kernel) exceeds `largestValue`.
    static func checkSize(_ values: [Int]?, _ name: String) throws {
        if let values, values.contains(where: { $0 > largestValue }) {
            throw QConvertError("\(name) \(values) exceeds \(largestValue), the largest qconvert accepts")
        }
    }

    /// Fails unless each output size fits the C kernels' int and the whole output (with its batch
    /// and channel dims `leading`) passes `ShapeCount`.
    static func checkOutput(_ output: [Int], leading: [Int]) throws {
        guard output.allSatisfy({ $0 <= largestExtent }) else { throw QConvertError("spatial output \(output) is larger than \(largestExtent)") }
        _ = try ShapeCount.of(leading + output)
    }

    /// Fails unless the spatial input and kernel sizes are positive and within the limits above.
    static func checkExtents(input: [Int], kernel: [Int]) throws {
        guard input.allSatisfy({ $0 <= largestExtent }) else { throw QConvertError("spatial input \(input) is larger than \(largestExtent)") }
        guard kernel.allSatisfy({ $0 >= 1 }) else { throw QConvertError("kernel \(kernel) must be positive") }
        try checkSize(kernel, "kernel")
    }

    /// A per-axis attribute, checked to have one value per spatial axis; `fill` when absent.
    func perAxis(_ values: [Int]?, _ name: String, rank: Int, fill: Int) throws -> [Int] {
        guard let values else { return Array(repeating: fill, count: rank) }
        guard values.count == rank else {
            throw QConvertError("\(name) \(values) must have \(rank) values, one per spatial axis")
        }
        return values
    }

    /// Explicit pads as (begin, end) per axis, checked to have 2 values per spatial axis.
    func explicitPads(rank: Int) throws -> (begin: [Int], end: [Int]) {
        guard let pads else { return (Array(repeating: 0, count: rank), Array(repeating: 0, count: rank)) }
        guard pads.count == 2 * rank else { throw QConvertError("pads \(pads) must have \(2 * rank) values") }
        return (Array(pads[..<rank]), Array(pads[rank...]))
    }

    /// The geometry of a strided window of size `kernel` sliding over spatial dims `input` (see
    /// `axisGeometry` for the sizes). `leading`: the output's batch and channel dims, so the whole
    /// output's element count is checked (`ShapeCount`) before a kernel allocates it.
    func window(input: [Int], kernel: [Int], leading: [Int] = []) throws -> SpatialWindow {
        let rank = input.count
        guard (1...3).contains(rank) else { throw QConvertError("\(rank) spatial dimensions are not supported (1 to 3 are)") }
        try Self.checkExtents(input: input, kernel: kernel)
        let (strides, dilations, pads) = try resolved(rank: rank, kernel: kernel)
        var (output, padBegin, padEnd) = ([Int](), [Int](), [Int]())
        for axis in 0..<rank {
            let sizes = try axisGeometry(input: input[axis], kernel: kernel[axis], stride: strides[axis], dilation: dilations[axis],
                                         pads: (pads.begin[axis], pads.end[axis]))
            output.append(sizes.output)
            padBegin.append(sizes.padBegin)
            padEnd.append(sizes.padEnd)
        }
        try Self.checkOutput(output, leading: leading)
        let window = SpatialWindow(input: input, output: output, kernel: kernel, strides: strides,
                                   dilations: dilations, padBegin: padBegin, padEnd: padEnd)
        try window.checkWorkingMemory()
        return window
    }

    /// Strides, dilations and explicit pads for `rank` spatial axes, checked against `kernel`.
    func resolved(rank: Int, kernel: [Int]) throws -> (strides: [Int], dilations: [Int], pads: (begin: [Int], end: [Int])) {
        if let kernelShape, kernelShape != kernel {
            throw QConvertError("kernel_shape \(kernelShape) does not match the weights' spatial shape \(kernel)")
        }
        return (try perAxis(strides, "strides", rank: rank, fill: 1), try perAxis(dilations, "dilations", rank: rank, fill: 1),
                try explicitPads(rank: rank))
    }

    /// One spatial axis of a strided window of size `kernel` over `input`:
    /// out = floor((in + pad_begin + pad_end − ((k − 1)·d + 1)) / s) + 1 (ceil with `ceil_mode`, dropping
    /// a last window that would start in the end padding), or with `auto_pad` SAME_* out = ceil(in / s)
    /// and the total padding (out − 1)·s + (k − 1)·d + 1 − in split evenly, the odd one at the end
    /// (UPPER) or the beginning (LOWER).
    func axisGeometry(input: Int, kernel: Int, stride: Int, dilation: Int, pads: (Int, Int)) throws -> (output: Int, padBegin: Int, padEnd: Int) {
        // Shape inference calls this with sizes straight from the file: bounded before any sum.
        try Self.checkExtents(input: [input], kernel: [kernel])
        let extent = (kernel - 1) * dilation + 1
        switch autoPad {
        case .notSet, .valid:
            let (padBegin, padEnd) = autoPad == .valid ? (0, 0) : pads
            let room = input + padBegin + padEnd - extent
            guard room >= 0 else {
                throw QConvertError("spatial input \(input) (padded by \(padBegin)/\(padEnd)) is smaller than the window (kernel \(kernel), dilation \(dilation))")
            }
            var count = (ceilMode ? (room + stride - 1) : room) / stride + 1
            if ceilMode && (count - 1) * stride >= input + padBegin { count -= 1 }
            return (count, padBegin, padEnd)
        case .sameUpper, .sameLower:
            let output = (input + stride - 1) / stride
            let total = max(0, (output - 1) * stride + extent - input)
            let padBegin = autoPad == .sameUpper ? total / 2 : total - total / 2
            return (output, padBegin, total - padBegin)
        }
    }
}

/// Concrete sliding-window geometry over 1 to 3 spatial axes, stored normalised to exactly three
/// (missing leading axes have size 1, kernel 1, stride 1, no padding) so that kernels have one
/// loop nest for 1-D, 2-D and 3-D.
struct SpatialWindow {
    /// Number of spatial axes the op really has (the others are the padding axes in front).
    let rank: Int
    let input: [Int]
    let output: [Int]
    let kernel: [Int]
    let strides: [Int]
    let dilations: [Int]
    let padBegin: [Int]
    let padEnd: [Int]

    init(input: [Int], output: [Int], kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int], padEnd: [Int]) {
        rank = input.count
        func three(_ values: [Int], _ fill: Int) -> [Int] { Array(repeating: fill, count: 3 - values.count) + values }
        self.input = three(input, 1)
        self.output = three(output, 1)
        self.kernel = three(kernel, 1)
        self.strides = three(strides, 1)
        self.dilations = three(dilations, 1)
        self.padBegin = three(padBegin, 0)
        self.padEnd = three(padEnd, 0)
    }

    /// The op's own spatial output dims (without the normalising leading ones).
    var outputShape: [Int] { Array(output.suffix(rank)) }

    var inputSize: Int { input[0] * input[1] * input[2] }
    var outputSize: Int { output[0] * output[1] * output[2] }
    var kernelSize: Int { kernel[0] * kernel[1] * kernel[2] }

    /// Whether the window reads each input position once in place (1×1 kernel, stride 1, no padding).
    var isPointwise: Bool {
        kernelSize == 1 && strides == [1, 1, 1] && padBegin == [0, 0, 0] && padEnd == [0, 0, 0]
    }

    /// ⌊a / b⌋ for b > 0.
    static func floorDivide(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    /// ⌈a / b⌉ for b > 0.
    static func ceilDivide(_ a: Int, _ b: Int) -> Int { -floorDivide(-a, b) }
}
