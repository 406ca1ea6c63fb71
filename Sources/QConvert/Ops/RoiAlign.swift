import QConvertIR

extension Ops {
    /// RoiAlign (opset 10, 16): pools each region of interest of X [N, C, H, W] into an
    /// output_height × output_width grid, Y [rois, C, output_height, output_width], as two-stage
    /// detectors (torchvision's Faster/Mask R-CNN) do after their region proposals:
    ///     region (x1, y1, x2, y2) · spatial_scale, shifted by −0.5 pixel with half_pixel (opset 16's
    ///     default; opset 10 has output_half_pixel: no shift, sizes at least 1 pixel);
    ///     each bin averages (mode avg) sampling_ratio² bilinear samples at the centres of an even
    ///     sub-grid (sampling_ratio 0: ceil(region size / bins) per axis).
    /// A sample more than one pixel outside the image counts as 0; one within clamps to the edge.
    /// Mode max takes, as ONNX Runtime computes it, the largest of the four weighted corner terms
    /// w_k · v_k over the bin's samples (not the largest interpolated value).
    enum RoiAlign: Operator {
        static let type = "RoiAlign"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let average = switch try node.string("mode", default: "avg") {
            case "avg": true
            case "max": false
            case let other: throw QConvertError("mode '\(other)' is not one of avg, max")
            }
            let halfPixel = switch try node.string("coordinate_transformation_mode", default: context.opsetVersion >= 16 ? "half_pixel" : "output_half_pixel") {
            case "half_pixel": true
            case "output_half_pixel": false
            case let other: throw QConvertError("coordinate_transformation_mode '\(other)' is not one of half_pixel, output_half_pixel")
            }
            let (outHeight, outWidth) = (try node.int("output_height", default: 1), try node.int("output_width", default: 1))
            let samplingRatio = try node.int("sampling_ratio", default: 0)
            let scale = try node.float("spatial_scale", default: 1)
            guard outHeight > 0, outWidth > 0, samplingRatio >= 0, samplingRatio <= 1 << 10 else {
                throw QConvertError("output_height, output_width must be positive and sampling_ratio in 0...1024, got \(outHeight), \(outWidth), \(samplingRatio)")
            }
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X"), rois = try inputs.floatInput(1, "rois")
                guard x.rank == 4 else { throw QConvertError("X must be [N, C, H, W], got \(x.shape)") }
                guard rois.rank == 2, rois.shape[1] == 4 else { throw QConvertError("rois must be [num_rois, 4], got \(rois.shape)") }
                guard let batchIndices = try inputs.required(2, "batch_indices").integers(), batchIndices.count == rois.shape[0] else {
                    throw QConvertError("batch_indices must hold one integer per roi (\(rois.shape[0]))")
                }
                guard batchIndices.allSatisfy({ $0 >= 0 && $0 < x.shape[0] }) else {
                    throw QConvertError("batch_indices must be in 0..<\(x.shape[0]), got \(batchIndices.filter { $0 < 0 || $0 >= x.shape[0] }.prefix(3))")
                }
                let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
                let shape = [rois.shape[0], channels, outHeight, outWidth]
                _ = try ShapeCount.of(shape)
                let bins = outHeight * outWidth
                let corners = rois.scalars(of: Float.self)
                let regions = (0..<rois.shape[0]).map { r in
                    Region(corners[(r * 4)..<(r * 4 + 4)], scale: scale, halfPixel: halfPixel, bins: (outHeight, outWidth), samplingRatio: samplingRatio)
                }
                // A hostile region (coordinates of 1e30) sets up to 1024² samples per bin: bounded in total.
                let samples = regions.reduce(0.0) { $0 + Double($1.gridY * $1.gridX) } * Double(bins * channels)
                guard samples <= Double(Self.sampleLimit) else {
                    throw QConvertError("the regions would take \(Int(samples)) bilinear samples, more than \(Self.sampleLimit); their sizes or sampling_ratio are out of proportion")
                }
                return [x.withElements(of: Float.self) { xs in
                    Tensor(shape: shape, of: Float.self) { ys in
                        Parallel.forEach(count: rois.shape[0] * channels, grain: max(1, (1 << 12) / bins), threads: context.threads) { range in
                            for plane in range {
                                let (r, c) = (plane / channels, plane % channels)
                                let image = UnsafeBufferPointer(rebasing: xs[((Int(batchIndices[r]) * channels + c) * height * width)...].prefix(height * width))
                                for bin in 0..<bins {
                                    ys[plane * bins + bin] = regions[r].pool(image, height: height, width: width, bin: (bin / outWidth, bin % outWidth),
                                                                         average: average)
                                }
                            }
                        }
                    }
                }]
            }
        }

        /// Most bilinear samples one run may take (a Mask R-CNN box head takes about 5·10^7), so a
        /// hostile region is refused in a line rather than sampled for minutes.
        static let sampleLimit = 1 << 30

        /// One region's geometry in input pixels: where it starts, each bin's size and its sub-grid.
        struct Region {
            let startY: Float, startX: Float, binHeight: Float, binWidth: Float
            let gridY: Int, gridX: Int

            init(_ corners: ArraySlice<Float>, scale: Float, halfPixel: Bool, bins: (Int, Int), samplingRatio: Int) {
                let c = Array(corners), offset: Float = halfPixel ? 0.5 : 0
                startX = c[0] * scale - offset
                startY = c[1] * scale - offset
                var (w, h) = (c[2] * scale - offset - startX, c[3] * scale - offset - startY)
                if !halfPixel { (w, h) = (max(w, 1), max(h, 1)) }
                binHeight = h / Float(bins.0)
                binWidth = w / Float(bins.1)
                gridY = samplingRatio > 0 ? samplingRatio : Self.adaptiveGrid(binHeight)
                gridX = samplingRatio > 0 ? samplingRatio : Self.adaptiveGrid(binWidth)
            }

            /// ceil(bin size) samples along an axis, at most 1024 and 0 for an empty, negative or NaN
            /// size: a hostile roi (1e30, NaN) must neither trap the conversion nor set the work.
            static func adaptiveGrid(_ binSize: Float) -> Int {
                guard binSize > 0 else { return 0 }
                return Int(min(binSize.rounded(.up), 1024))
            }

            /// The pooled value of bin (row, column).
            func pool(_ image: UnsafeBufferPointer<Float>, height: Int, width: Int, bin: (Int, Int), average: Bool) -> Float {
                var sum: Float = 0, largest: Float?
                for iy in 0..<gridY {
                    let y = startY + Float(bin.0) * binHeight + (Float(iy) + 0.5) * binHeight / Float(gridY)
                    for ix in 0..<gridX {
                        let x = startX + Float(bin.1) * binWidth + (Float(ix) + 0.5) * binWidth / Float(gridX)
                        let terms = Self.corners(image, height: height, width: width, y: y, x: x)
                        if average {
                            sum += terms.0 + terms.1 + terms.2 + terms.3
                        } else {
                            let value = max(max(terms.0, terms.1), max(terms.2, terms.3))
                            largest = largest.map { max($0, value) } ?? value
                        }
                    }
                }
                return average ? sum / Float(max(gridY * gridX, 1)) : largest ?? 0
            }

            /// The four weighted corner terms w_k · v_k of bilinear interpolation at (y, x), as ONNX
            /// Runtime (after Caffe2) computes them: all 0 more than a pixel outside, clamped to the edge.
            static func corners(_ image: UnsafeBufferPointer<Float>, height: Int, width: Int, y: Float, x: Float) -> (Float, Float, Float, Float) {
                guard y >= -1, y <= Float(height), x >= -1, x <= Float(width), height > 0, width > 0 else { return (0, 0, 0, 0) }
                var (y, x) = (max(y, 0), max(x, 0))
                var (yLow, xLow) = (Int(y), Int(x))
                let yHigh: Int, xHigh: Int
                if yLow >= height - 1 { (yLow, yHigh, y) = (height - 1, height - 1, Float(height - 1)) } else { yHigh = yLow + 1 }
                if xLow >= width - 1 { (xLow, xHigh, x) = (width - 1, width - 1, Float(width - 1)) } else { xHigh = xLow + 1 }
                let (ly, lx) = (y - Float(yLow), x - Float(xLow))
                let (hy, hx) = (1 - ly, 1 - lx)
                return (hy * hx * image[yLow * width + xLow], hy * lx * image[yLow * width + xHigh],
                        ly * hx * image[yHigh * width + xLow], ly * lx * image[yHigh * width + xHigh])
            }
        }
    }
}
