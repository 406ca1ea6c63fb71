import QConvertIR

/// A (scale, zero point) input pair of the integer ops, read and checked once per run: float32 scales,
/// zero points of the quantized tensor's own type (zero when omitted), one value per tensor or, where
/// the op allows it, one per channel.
struct QuantizedParameters {
    let scales: [Float]
    let zeroPoints: [Int32]

    /// `type`: the 8-bit type of the tensor described; `name`: the scale input's ONNX name, for errors;
    /// `channels`: the per-channel count allowed (nil: per tensor only).
    init(scale: Tensor?, zeroPoint: Tensor?, of type: DataType, name: String, channels: Int? = nil) throws {
        guard let scale else { throw QConvertError("missing input \(name)") }
        guard scale.dataType == .float else { throw QConvertError("\(name) must be float32, got \(scale.dataType)") }
        guard scale.rank <= 1 else { throw QConvertError("\(name) must be a scalar or 1-D, got shape \(scale.shape)") }
        guard scale.count == 1 || (channels != nil && scale.count == channels) else {
            let allowed = channels.map { "1 or \($0) values" } ?? "1 value"
            throw QConvertError("\(name) has \(scale.count) values, expected \(allowed)")
        }
        scales = scale.scalars(of: Float.self)
        guard let zeroPoint else {
            zeroPoints = Array(repeating: 0, count: scales.count)
            return
        }
        guard zeroPoint.dataType == type else {
            throw QConvertError("the zero point of \(name) is \(zeroPoint.dataType) but the tensor it describes is \(type)")
        }
        guard zeroPoint.rank <= 1, zeroPoint.count == scales.count else {
            throw QConvertError("the zero point of \(name) has shape \(zeroPoint.shape), its scale \(scale.shape)")
        }
        zeroPoints = (zeroPoint.integers() ?? []).map { Int32($0) }
    }

    /// The single scale and zero point of per-tensor parameters.
    var scalar: (scale: Float, zeroPoint: Int32) { (scales[0], zeroPoints[0]) }

    /// The 8-bit quantized type of input `name` (uint8 or int8), which is checked to be one.
    static func eightBitType(_ tensor: Tensor, _ name: String) throws -> DataType {
        guard tensor.dataType == .uint8 || tensor.dataType == .int8 else {
            throw QConvertError("\(name) must be uint8 or int8, got \(tensor.dataType)")
        }
        return tensor.dataType
    }

    /// The values an 8-bit quantized type holds, as int32.
    static func range(of type: DataType) -> ClosedRange<Int32> {
        type == .int8 ? -128...127 : 0...255
    }
}
