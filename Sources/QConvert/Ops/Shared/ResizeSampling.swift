import QConvertIR

/// How Resize and Upsample map output positions to input samples: the interpolation mode, the
/// coordinate transformation, the nearest rounding and the cubic parameters, read from the node once.
///
/// Coordinates are computed in Float, in the order ONNX Runtime computes them, so that nearest-mode
/// ties (x.5) round the same way and the tests can compare exactly.
struct ResizeSampling {
    enum Mode: String {
        case nearest, linear, cubic
    }

    enum Coordinates: String {
        case halfPixel = "half_pixel"
        case halfPixelSymmetric = "half_pixel_symmetric"
        case pytorchHalfPixel = "pytorch_half_pixel"
        case alignCorners = "align_corners"
        case asymmetric
        case tfHalfPixelForNN = "tf_half_pixel_for_nn"
        case tfCropAndResize = "tf_crop_and_resize"
    }

    enum Rounding: String {
        case roundPreferFloor = "round_prefer_floor"
        case roundPreferCeil = "round_prefer_ceil"
        case floor, ceil
        /// Resize-10 and Upsample: truncate when upsampling, ceil when downsampling.
        case simple
    }

    var mode: Mode
    var coordinates: Coordinates
    var rounding: Rounding
    var cubicCoefficient: Float
    var excludeOutside: Bool
    var extrapolation: Float

    /// Resize from opset 11: every attribute; `legacy` (Resize-10, Upsample): only `mode`, with
    /// asymmetric coordinates and simple rounding.
    init(_ node: Node, legacy: Bool) throws {
        let modeName = try node.string("mode", default: "nearest")
        guard let mode = Mode(rawValue: modeName == "bilinear" ? "linear" : modeName) else {
            throw QConvertError("mode '\(modeName)' is not one of nearest, linear, cubic")
        }
        if legacy && mode == .cubic { throw QConvertError("mode 'cubic' needs Resize from opset 11") }
        self.mode = mode
        let coordinateName = legacy ? "asymmetric" : try node.string("coordinate_transformation_mode", default: "half_pixel")
        guard let coordinates = Coordinates(rawValue: coordinateName) else {
            throw QConvertError("coordinate_transformation_mode '\(coordinateName)' is not supported")
        }
        self.coordinates = coordinates
        let roundingName = legacy ? "simple" : try node.string("nearest_mode", default: "round_prefer_floor")
        guard let rounding = Rounding(rawValue: roundingName), roundingName != "simple" || legacy else {
            throw QConvertError("nearest_mode '\(roundingName)' is not supported")
        }
        self.rounding = rounding
        cubicCoefficient = try node.float("cubic_coeff_a", default: -0.75)
        excludeOutside = try node.int("exclude_outside", default: 0) != 0
        extrapolation = try node.float("extrapolation_value", default: 0)
    }

    /// The input coordinate of output index `x` along an axis resized from `input` to `output` with
    /// `scale`, and `roi` (start, end) for tf_crop_and_resize.
    func sourceCoordinate(_ x: Int, scale: Float, input: Int, output: Int, roi: (Float, Float)) -> Float {
        let (x, lengthIn, lengthOut) = (Float(x), Float(input), Float(output))
        switch coordinates {
        case .halfPixel: return ((x + 0.5) / scale) - 0.5
        case .halfPixelSymmetric:
            let adjustment = lengthOut / (scale * lengthIn)
            let offset = lengthIn / 2 * (1 - adjustment)
            return offset + ((x + 0.5) / scale) - 0.5
        case .pytorchHalfPixel: return output > 1 ? ((x + 0.5) / scale) - 0.5 : 0
        case .alignCorners: return output == 1 ? 0 : x * (lengthIn - 1) / (lengthOut - 1)
        case .asymmetric: return x / scale
        case .tfHalfPixelForNN: return (x + 0.5) / scale
        case .tfCropAndResize:
            return output > 1
                ? roi.0 * (lengthIn - 1) + (x * (roi.1 - roi.0) * (lengthIn - 1)) / (lengthOut - 1)
                : 0.5 * (roi.0 + roi.1) * (lengthIn - 1)
        }
    }

    /// The nearest input index of coordinate `x` (before clamping).
    func nearest(_ x: Float, downsampling: Bool) -> Int {
        switch rounding {
        case .roundPreferFloor: return x == Float(Int(x)) + 0.5 ? Int(x.rounded(.down)) : Int(x.rounded())
        case .roundPreferCeil: return Int(x.rounded())
        case .floor: return Int(x.rounded(.down))
        case .ceil: return Int(x.rounded(.up))
        case .simple: return downsampling ? Int(x.rounded(.up)) : Int(x)
        }
    }

    /// The taps of one axis: per output index, input indices with weights (clamped to the input), and
    /// whether the position lies outside the input (tf_crop_and_resize then writes `extrapolation`).
    /// An axis with scale 1 keeps its size and is copied whatever the coordinate mode (even
    /// tf_half_pixel_for_nn's half-pixel shift and tf_crop_and_resize's roi), as ONNX Runtime does.
    func axis(input: Int, output: Int, scale: Float, roi: (Float, Float)) -> AxisResampling {
        let taps = mode == .nearest ? 1 : mode == .linear ? 2 : 4
        if scale == 1 && input == output {
            var copy = AxisResampling(inputSize: input, outputSize: output, taps: 1)
            copy.indices = Array(0..<output)
            copy.weights = Array(repeating: 1, count: output)
            copy.outside = Array(repeating: false, count: output)
            return copy
        }
        var result = AxisResampling(inputSize: input, outputSize: output, taps: taps)
        let last = input - 1
        for o in 0..<output {
            let raw = sourceCoordinate(o, scale: scale, input: input, output: output, roi: roi)
            result.outside.append(coordinates == .tfCropAndResize && (raw < 0 || raw > Float(last)))
            // Far-out coordinates clamp to just outside the input: the taps clamp there anyway, and
            // converting a huge Float to Int would trap.
            let x = raw.isNaN ? 0 : min(max(raw, -2), Float(input + 1))
            switch mode {
            case .nearest:
                result.indices.append(min(max(nearest(x, downsampling: scale < 1), 0), last))
                result.weights.append(1)
            case .linear:
                let clamped = min(max(x, 0), Float(last))
                let low = min(Int(clamped), last), high = min(low + 1, last)
                let (toLow, toHigh) = low == high ? (Float(0.5), Float(0.5)) : (abs(clamped - Float(high)), abs(clamped - Float(low)))
                result.indices += [low, high]
                result.weights += [toLow, toHigh]
            case .cubic:
                let base = Int(x.rounded(.down))
                var weights = cubicWeights(x - x.rounded(.down))
                let positions = (0..<4).map { base - 1 + $0 }
                if excludeOutside {
                    for tap in 0..<4 where positions[tap] < 0 || positions[tap] > last { weights[tap] = 0 }
                }
                let total = weights.reduce(0, +)
                result.indices += positions.map { min(max($0, 0), last) }
                result.weights += weights.map { total == 0 ? 0 : $0 / total }
            }
        }
        return result
    }

    /// Keys' cubic convolution weights for taps at −1, 0, 1, 2 of a sample at fraction `s` past tap 0.
    func cubicWeights(_ s: Float) -> [Float] {
        let a = cubicCoefficient
        let near = { (t: Float) -> Float in ((a + 2) * t - (a + 3)) * t * t + 1 }
        let far = { (t: Float) -> Float in ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return [far(s + 1), near(s), near(1 - s), far(2 - s)]
    }
}

/// One axis of a resize: for each output index `taps` (input index, weight) pairs, and whether the
/// output lies outside the input region (extrapolated).
struct AxisResampling {
    let inputSize: Int
    let outputSize: Int
    let taps: Int
    var indices: [Int] = []
    var weights: [Float] = []
    var outside: [Bool] = []

    /// Whether every output reads only the input at its own index, with total weight 1 (a no-op pass).
    var isIdentity: Bool {
        guard inputSize == outputSize, !outside.contains(true) else { return false }
        for o in 0..<outputSize {
            var own: Float = 0
            for t in o * taps..<(o + 1) * taps {
                if indices[t] == o { own += weights[t] } else if weights[t] != 0 { return false }
            }
            if own != 1 { return false }
        }
        return true
    }
}

extension ResizeSampling {
    /// Resizes float tensor `x` to `outputShape` with per-axis `scales` (and `roi` per axis for
    /// tf_crop_and_resize), after checking them: the output passes `ShapeCount` before any per-axis
    /// tap table is built (scales of 1e9 asked for terabytes), and an empty output builds none.
    func resize(_ x: Tensor, scales: [Float], outputShape: [Int], roi: [(Float, Float)], threads: Int) throws -> Tensor {
        for axis in 0..<x.rank {
            guard scales[axis] > 0, scales[axis].isFinite else { throw QConvertError("scale \(scales[axis]) of axis \(axis) must be positive") }
            guard outputShape[axis] >= 0 else { throw QConvertError("output size \(outputShape[axis]) of axis \(axis) is negative") }
            guard x.shape[axis] > 0 || outputShape[axis] == 0 else {
                throw QConvertError("cannot resize the empty axis \(axis) of \(x.shape) to \(outputShape[axis])")
            }
        }
        if try ShapeCount.of(outputShape) == 0 { return Tensor(shape: outputShape, scalars: [Float]()) }
        let axes = (0..<x.rank).map { axis in
            self.axis(input: x.shape[axis], output: outputShape[axis], scale: scales[axis], roi: roi[axis])
        }
        return Interpolation.resample(x, axes: axes, nearest: mode == .nearest, extrapolation: extrapolation, threads: threads)
    }
}
