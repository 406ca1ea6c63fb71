import QConvertIR

extension Ops {
    /// QuantizeLinear: y = saturate(round_half_to_even(x / y_scale) + y_zero_point), per tensor or per
    /// axis (opset 13). The output type is y_zero_point's (uint8 when it is omitted).
    enum QuantizeLinear: Operator {
        static let type = "QuantizeLinear"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 1)
            let opset = context.opsetVersion
            if try node.int("block_size", default: 0) != 0 { throw QConvertError("blocked quantization (block_size) is not supported") }
            return Kernel { inputs, context in
                guard inputs.count >= 2, let x = inputs[0], let scale = inputs[1] else { throw QConvertError("needs x and y_scale") }
                let zeroPoint = inputs.count > 2 ? inputs[2] : nil
                guard x.dataType == .float, scale.dataType == .float else {
                    throw QConvertError("supports float32 x and scale, got \(x.dataType) and \(scale.dataType)")
                }
                let type = zeroPoint?.dataType ?? .uint8
                guard let range = AffineQuantization.range(of: type), type != .int32 else {
                    throw QConvertError("output type \(type) is not supported")
                }
                let (resolvedAxis, _) = try AffineQuantization.layout(scale: scale, zeroPoint: zeroPoint, x: x, axis: axis, opset: opset)
                let scales = scale.scalars(of: Float.self)
                let zeros = zeroPoint?.integers() ?? Array(repeating: 0, count: scales.count)
                let shape = x.shape
                let parameter = AffineQuantization.ParameterIndex(axis: resolvedAxis, shape: shape)
                func fill<T: TensorElement & FixedWidthInteger>(_: T.Type) -> Tensor {
                    x.withElements(of: Float.self) { src in
                        Tensor(uninitializedShape: shape, of: T.self) { dst in
                            guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                            Parallel.forEach(count: src.count, grain: 1 << 16, threads: context.threads) { chunk in
                                parameter.forEachRun(in: chunk) { run, p in
                                    AffineQuantization.quantize(from + run.lowerBound, into: to + run.lowerBound, count: run.count,
                                                                scale: scales[p], zeroPoint: zeros[p], range: range)
                                }
                            }
                        }
                    }
                }
                switch type {
                case .uint8: return [fill(UInt8.self)]
                case .int8: return [fill(Int8.self)]
                case .uint16: return [fill(UInt16.self)]
                default: return [fill(Int16.self)]
                }
            }
        }
    }
}
