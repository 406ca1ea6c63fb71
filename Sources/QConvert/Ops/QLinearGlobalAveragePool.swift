import QConvertIR

extension Ops {
    /// com.microsoft QLinearGlobalAveragePool: the mean over the spatial axes of an 8-bit tensor, per
    /// image and channel, as ONNX Runtime computes it:
    ///     acc = Σ x − x_zero · S   (exact int32; S = the spatial size)
    ///     y = saturate(round_half_to_even(float(acc) · M) + y_zero),  M = x_scale / (y_scale · float(S))
    /// (float32), or the fixed-point form of `Requantizer` when the interpreter runs with `.fixedPoint`.
    /// X is (N, C, spatial...), or (N, spatial..., C) with channels_last = 1; Y keeps X's rank with the
    /// spatial axes of size 1.
    enum QLinearGlobalAveragePool: Requantizing {
        static let type = "QLinearGlobalAveragePool"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let channelsLast = try node.int("channels_last", default: 0) != 0
            let mode = context.requantization
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X")
                let type = try QuantizedParameters.eightBitType(x, "X")
                guard x.rank >= 3 else { throw QConvertError("X must have rank 3 or more, got shape \(x.shape)") }
                let xq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: type, name: "x_scale").scalar
                let yq = try QuantizedParameters(scale: inputs.optional(3), zeroPoint: inputs.optional(4), of: type, name: "y_scale").scalar
                let spatialAxes = channelsLast ? 1..<(x.rank - 1) : 2..<x.rank
                let (batch, channels) = (x.shape[0], channelsLast ? x.shape[x.rank - 1] : x.shape[1])
                let size = spatialAxes.reduce(1) { $0 * x.shape[$1] }
                var shape = x.shape
                for axis in spatialAxes { shape[axis] = 1 }
                let signed = type == .int8
                let sums = x.withElements(of: UInt8.self) { values in
                    Tensor(shape: shape, of: Int32.self) { sums in
                        // Element (n, c) sits at n·C·S + c·S + s (channels first) or n·S·C + s·C + c (last).
                        let (channelStride, spatialStride) = channelsLast ? (1, channels) : (size, 1)
                        Parallel.forEach(count: batch * channels, grain: max(1, (1 << 16) / max(1, size)), threads: context.threads) { chunk in
                            for item in chunk {
                                let (n, c) = item.quotientAndRemainder(dividingBy: channels)
                                let base = n * channels * size + c * channelStride
                                var sum = -xq.zeroPoint &* Int32(size)
                                for s in 0..<size {
                                    let byte = values[base + s * spatialStride]
                                    sum &+= signed ? Int32(Int8(bitPattern: byte)) : Int32(byte)
                                }
                                sums[item] = sum
                            }
                        }
                    }
                }
                let requantizer = Requantizer(mode: mode, multipliers: [xq.scale / (yq.scale * Float(size))],
                                              exact: [Double(xq.scale) / (Double(yq.scale) * Double(size))], zeroPoint: yq.zeroPoint,
                                              range: QuantizedParameters.range(of: type))
                return [requantizer.apply(sums, bias: nil, inner: 1, to: type, threads: context.threads)]
            }
        }
    }
}
