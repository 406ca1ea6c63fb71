import QConvertIR

extension Ops {
    /// DynamicQuantizeLinear: uint8 quantization with parameters from x's own range, as ONNX Runtime
    /// computes them (float32 throughout):
    ///     lo = min(0, min(x)), hi = max(0, max(x))
    ///     y_scale = (hi − lo) / 255, or 1 when hi = lo (an all-zero x; the ONNX reference gives 1/255)
    ///     y_zero_point = round_half_to_even(clamp(0 − lo / y_scale, 0, 255))
    ///     y = saturate(round_half_to_even(x / y_scale) + y_zero_point)
    enum DynamicQuantizeLinear: Operator {
        static let type = "DynamicQuantizeLinear"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.floatInput(0, "x")
                let (lo, hi) = x.withElements(of: Float.self) { values in
                    values.reduce((Float(0), Float(0))) { (min($0.0, $1), max($0.1, $1)) }
                }
                let scale: Float = hi == lo ? 1 : (hi - lo) / 255
                let zeroPoint = Int64(min(max(0 - lo / scale, 0), 255).rounded(.toNearestOrEven))
                let y = x.withElements(of: Float.self) { values in
                    Tensor(shape: x.shape, of: UInt8.self) { out in
                        Parallel.forEach(count: values.count, grain: 1 << 16, threads: context.threads) { chunk in
                            for i in chunk {
                                out[i] = UInt8(AffineQuantization.quantize(values[i], scale: scale, zeroPoint: zeroPoint, range: 0...255))
                            }
                        }
                    }
                }
                return [y, Tensor(scalar: scale), Tensor(scalar: UInt8(zeroPoint))]
            }
        }
    }
}
