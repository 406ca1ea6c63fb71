import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// GridSample (2-D): Y[n, c, h, w] samples X[n, c] at grid[n, h, w] = (x, y), positions normalised to
    /// [-1, 1] over the input's width and height, float32. A position maps to pixels as
    ///     align_corners = 1:  p = (g + 1) / 2 · (size − 1)        (−1 and 1 are the corner pixels' centres)
    ///     align_corners = 0:  p = ((g + 1) · size − 1) / 2        (−1 and 1 are the corner pixels' outer edges)
    /// then, as ONNX Runtime computes it: `mode` nearest takes the pixel at p rounded half to even,
    /// linear (bilinear) the 2 × 2 pixels around p after `padding_mode` border clamped p into
    /// [0, size − 1] or reflection reflected it into the image's extent (pixel centres with
    /// align_corners, else edges), cubic (bicubic) the 4 × 4 around p with Keys' kernel, a = −0.75.
    /// Each tap outside the image is 0 with zeros padding, the clamped or reflected pixel otherwise. Mode names of opset 16 (bilinear,
    /// bicubic) and 20 (linear, cubic) are both accepted; volumetric (3-D) grids are not supported.
    enum GridSample: Operator {
        static let type = "GridSample"

        enum Mode { case nearest, linear, cubic }
        enum Padding { case zeros, border, reflection }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let mode: Mode = switch try node.string("mode", default: "linear") {
            case "nearest": .nearest
            case "linear", "bilinear": .linear
            case "cubic", "bicubic": .cubic
            case let other: throw QConvertError("mode '\(other)' is not one of nearest, linear (bilinear), cubic (bicubic)")
            }
            let padding: Padding = switch try node.string("padding_mode", default: "zeros") {
            case "zeros": .zeros
            case "border": .border
            case "reflection": .reflection
            case let other: throw QConvertError("padding_mode '\(other)' is not one of zeros, border, reflection")
            }
            let alignCorners = try node.int("align_corners", default: 0) != 0
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X"), grid = try inputs.floatInput(1, "grid")
                guard x.rank == 4 else { throw QConvertError("supports 2-D sampling (X of rank 4), got X of shape \(x.shape)") }
                guard grid.rank == 4, grid.shape[0] == x.shape[0], grid.shape[3] == 2 else {
                    throw QConvertError("grid must have shape [\(x.shape[0]), H_out, W_out, 2] for X of shape \(x.shape), got \(grid.shape)")
                }
                guard grid.count == 0 || x.shape[2] > 0 && x.shape[3] > 0 else {
                    throw QConvertError("X of shape \(x.shape) has no pixels to sample")
                }
                let sampler = Sampler(height: x.shape[2], width: x.shape[3], mode: mode, padding: padding, alignCorners: alignCorners)
                let (batch, channels, outHeight, outWidth) = (x.shape[0], x.shape[1], grid.shape[1], grid.shape[2])
                let (plane, outPlane) = (x.shape[2] * x.shape[3], outHeight * outWidth)
                return [x.withElements(of: Float.self) { xs in
                    grid.withElements(of: Float.self) { gs in
                        Tensor(uninitializedShape: [batch, channels, outHeight, outWidth], of: Float.self) { ys in
                            Parallel.forEach(count: batch * channels, grain: max(1, (1 << 14) / max(1, outPlane)), threads: context.threads) { range in
                                for image in range {
                                    let n = image / channels
                                    let source = UnsafeBufferPointer(rebasing: xs[image * plane..<(image + 1) * plane])
                                    for o in 0..<outPlane {
                                        let g = (n * outPlane + o) * 2
                                        ys[image * outPlane + o] = sampler.sample(source, x: gs[g], y: gs[g + 1])
                                    }
                                }
                            }
                        }
                    }
                }]
            }
        }

        /// Sampling of one height × width image, with the node's mode, padding and corner convention.
        struct Sampler {
            let height: Int, width: Int
            let mode: Mode, padding: Padding
            let alignCorners: Bool

            /// The value at normalised position (x, y).
            func sample(_ image: UnsafeBufferPointer<Float>, x gx: Float, y gy: Float) -> Float {
                // Nearest and cubic pad their taps only (nearest rounds first), linear the position too.
                let (px, py) = (pixel(gx, size: width), pixel(gy, size: height))
                let (bx, by) = mode == .linear ? (bounded(px, size: width), bounded(py, size: height)) : (px, py)
                let (x, y) = (Self.representable(bx, size: width), Self.representable(by, size: height))
                switch mode {
                case .nearest:
                    return tap(image, row: Int(y.rounded(.toNearestOrEven)), column: Int(x.rounded(.toNearestOrEven)))
                case .linear:
                    let (x0, y0) = (x.rounded(.down), y.rounded(.down))
                    let (dx, dy) = (x - x0, y - y0)
                    let (c, r) = (Int(x0), Int(y0))
                    return (1 - dy) * ((1 - dx) * tap(image, row: r, column: c) + dx * tap(image, row: r, column: c + 1))
                        + dy * ((1 - dx) * tap(image, row: r + 1, column: c) + dx * tap(image, row: r + 1, column: c + 1))
                case .cubic:
                    let (x0, y0) = (x.rounded(.down), y.rounded(.down))
                    let (wx, wy) = (Self.cubicWeights(x - x0), Self.cubicWeights(y - y0))
                    let (c, r) = (Int(x0) - 1, Int(y0) - 1)
                    var sum: Float = 0
                    for i in 0..<4 {
                        var row: Float = 0
                        for j in 0..<4 { row += wx[j] * tap(image, row: r + i, column: c + j) }
                        sum += wy[i] * row
                    }
                    return sum
                }
            }

            /// p kept within 2^22 pixels of the image (still exact integers in float32 there), NaN taken
            /// as that far before it, so the integer conversions below cannot trap on a hostile grid.
            /// Positions further out differ only with reflection padding, where ONNX Runtime's integer
            /// casts are undefined anyway.
            static func representable(_ p: Float, size: Int) -> Float {
                let reach = Float(1 << 22)
                return p.isNaN ? -reach : min(max(p, -reach), Float(size) + reach)
            }

            /// A normalised coordinate in pixels.
            func pixel(_ g: Float, size: Int) -> Float {
                alignCorners ? (g + 1) / 2 * Float(size - 1) : ((g + 1) * Float(size) - 1) / 2
            }

            /// The pixel coordinate after border clamping or reflection (zeros padding leaves it).
            func bounded(_ p: Float, size: Int) -> Float {
                switch padding {
                case .zeros: return p
                case .border: return min(max(p, 0), Float(size - 1))
                case .reflection: return reflect(p, size: size)
                }
            }

            /// p reflected into [low, high]: the pixel centres with align_corners, else the image's edges.
            func reflect(_ p: Float, size: Int) -> Float {
                let (low, high): (Float, Float) = alignCorners ? (0, Float(size - 1)) : (-0.5, Float(size) - 0.5)
                let range = high - low
                guard range > 0 else { return low }
                // Past an edge by d, folded every range: an even number of folds ends past the same edge.
                if p < low {
                    let rest = (low - p).truncatingRemainder(dividingBy: 2 * range)
                    return rest <= range ? low + rest : high - (rest - range)
                }
                if p > high {
                    let rest = (p - high).truncatingRemainder(dividingBy: 2 * range)
                    return rest <= range ? high - rest : low + (rest - range)
                }
                return p
            }

            /// Pixel (row, column): 0 outside the image with zeros padding, else the clamped or reflected pixel.
            func tap(_ image: UnsafeBufferPointer<Float>, row: Int, column: Int) -> Float {
                switch padding {
                case .zeros:
                    guard row >= 0, row < height, column >= 0, column < width else { return 0 }
                    return image[row * width + column]
                case .border:
                    return image[min(max(row, 0), height - 1) * width + min(max(column, 0), width - 1)]
                case .reflection:
                    let r = Int(reflect(Float(row), size: height)), c = Int(reflect(Float(column), size: width))
                    return image[min(max(r, 0), height - 1) * width + min(max(c, 0), width - 1)]
                }
            }

            /// Keys' cubic convolution weights (a = −0.75) of the 4 taps around a point t ∈ [0, 1) past the second.
            static func cubicWeights(_ t: Float) -> [Float] {
                let a: Float = -0.75
                let (t1, t2, t3) = (t + 1, 1 - t, 2 - t)
                return [((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a,
                        ((a + 2) * t - (a + 3)) * t * t + 1,
                        ((a + 2) * t2 - (a + 3)) * t2 * t2 + 1,
                        ((a * t3 - 5 * a) * t3 + 8 * a) * t3 - 4 * a]
            }
        }
    }
}
