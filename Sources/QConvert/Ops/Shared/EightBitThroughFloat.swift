import QConvertIR

/// 8-bit quantized tensors through float kernels.
///
/// Why: ONNX Runtime runs MaxPool (opset 12) and Resize (opset 11) directly on uint8/int8 tensors,
/// and its QOperator models leave them there between QLinearConv layers; its com.microsoft
/// QLinearSoftmax is Softmax between 8-bit tensors. Rather than a second kernel per op, the integers
/// go through the op's float kernel.
/// - MaxPool and Resize (`accepting`): cast to float and back with Cast's semantics (`Conversion`:
///   truncation toward zero), as ONNX Runtime casts its interpolated floats (rounding matched about
///   half of its linear-resize outputs, truncation all of them on the op cases; where ORT's float
///   lands an ulp below an integer, 114.99999, it truncates to 114 and qconvert may compute 115: a
///   step on a few elements in a thousand at some scales; onnx.reference rounds instead). MaxPool
///   and nearest Resize only pick values: exact.
/// - QLinearSoftmax (`dequantize`, `quantize`): (q - zero point) * scale in, and round half to even,
///   saturated, out.
enum EightBitThroughFloat {
    /// `kernel` accepting an 8-bit input 0 too, its output 0 then cast back to that type (other
    /// inputs and outputs as they are).
    static func accepting(_ kernel: Kernel) -> Kernel {
        Kernel { inputs, context in
            guard let x = inputs.first ?? nil, x.dataType == .uint8 || x.dataType == .int8 else { return try kernel.run(inputs, context) }
            var floated = inputs
            floated[0] = try Conversion.convert(x, to: .float)
            var outputs = try kernel.run(floated, context)
            if !outputs.isEmpty { outputs[0] = try Conversion.convert(outputs[0], to: x.dataType) }
            return outputs
        }
    }

    /// (q - zeroPoint) * scale of a uint8 or int8 tensor.
    static func dequantize(_ q: Tensor, scale: Float, zeroPoint: Int32) -> Tensor {
        func convert<T: FixedWidthInteger & TensorElement>(_ type: T.Type) -> Tensor {
            q.withElements(of: T.self) { source in
                Tensor(uninitializedShape: q.shape, of: Float.self) { out in
                    guard let from = source.baseAddress, let to = out.baseAddress else { return }
                    AffineQuantization.dequantize(from, into: to, count: q.count, scale: scale, zeroPoint: Int64(zeroPoint))
                }
            }
        }
        return q.dataType == .uint8 ? convert(UInt8.self) : convert(Int8.self)
    }

    /// saturate(round_half_to_even(y / scale) + zeroPoint) of a float tensor, as `type` (uint8 or int8).
    static func quantize(_ y: Tensor, to type: DataType, scale: Float, zeroPoint: Int32) -> Tensor {
        func convert<T: FixedWidthInteger & TensorElement>(_ target: T.Type) -> Tensor {
            y.withElements(of: Float.self) { source in
                Tensor(uninitializedShape: y.shape, of: T.self) { out in
                    guard let from = source.baseAddress, let to = out.baseAddress else { return }
                    AffineQuantization.quantize(from, into: to, count: y.count, scale: scale, zeroPoint: Int64(zeroPoint),
                                                range: Int64(T.min)...Int64(T.max))
                }
            }
        }
        return type == .uint8 ? convert(UInt8.self) : convert(Int8.self)
    }
}
