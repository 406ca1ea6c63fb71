import QConvertIR

extension Ops {
    /// DequantizeLinear: y = float(x - x_zero_point) * x_scale (the difference taken in integers, as
    /// ONNX Runtime does), per tensor or per axis (opset 13), for
    /// uint8, int8, uint16, int16 and int32 (bias) inputs.
    enum DequantizeLinear: Operator {
        static let type = "DequantizeLinear"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: 1)
            let opset = context.opsetVersion
            if try node.int("block_size", default: 0) != 0 { throw QConvertError("blocked quantization (block_size) is not supported") }
            return Kernel { inputs, context in
                guard inputs.count >= 2, let x = inputs[0], let scale = inputs[1] else { throw QConvertError("needs x and x_scale") }
                let zeroPoint = inputs.count > 2 ? inputs[2] : nil
                guard scale.dataType == .float else { throw QConvertError("supports float32 scale, got \(scale.dataType)") }
                guard AffineQuantization.range(of: x.dataType) != nil else { throw QConvertError("input type \(x.dataType) is not supported") }
                if let zeroPoint, zeroPoint.dataType != x.dataType {
                    throw QConvertError("zero point type \(zeroPoint.dataType) differs from input type \(x.dataType)")
                }
                let (resolvedAxis, _) = try AffineQuantization.layout(scale: scale, zeroPoint: zeroPoint, x: x, axis: axis, opset: opset)
                let scales = scale.scalars(of: Float.self)
                let zeros = zeroPoint?.integers() ?? Array(repeating: 0, count: scales.count)
                let shape = x.shape
                let parameter = AffineQuantization.ParameterIndex(axis: resolvedAxis, shape: shape)
                func run<T: TensorElement & FixedWidthInteger>(_: T.Type) -> Tensor {
                    x.withElements(of: T.self) { src in
                        Tensor(uninitializedShape: shape, of: Float.self) { dst in
                            guard let from = src.baseAddress, let to = dst.baseAddress else { return }
                            Parallel.forEach(count: src.count, grain: 1 << 16, threads: context.threads) { chunk in
                                parameter.forEachRun(in: chunk) { run, p in
                                    AffineQuantization.dequantize(from + run.lowerBound, into: to + run.lowerBound, count: run.count,
                                                                  scale: scales[p], zeroPoint: zeros[p])
                                }
                            }
                        }
                    }
                }
                switch x.dataType {
                case .uint8: return [run(UInt8.self)]
                case .int8: return [run(Int8.self)]
                case .uint16: return [run(UInt16.self)]
                case .int16: return [run(Int16.self)]
                default: return [run(Int32.self)]
                }
            }
        }
    }
}
