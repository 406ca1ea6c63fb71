/// A Swift type whose in-memory layout is an ONNX element type's raw little-endian layout, so tensor
/// bytes can be read and written as buffers of it.
public protocol TensorElement: Sendable {
    /// The ONNX type a tensor built from these elements gets.
    static var dataType: DataType { get }
}

extension Float: TensorElement { public static var dataType: DataType { .float } }
extension Double: TensorElement { public static var dataType: DataType { .double } }
extension Int8: TensorElement { public static var dataType: DataType { .int8 } }
extension UInt8: TensorElement { public static var dataType: DataType { .uint8 } }
extension Int16: TensorElement { public static var dataType: DataType { .int16 } }
extension UInt16: TensorElement { public static var dataType: DataType { .uint16 } }
extension Int32: TensorElement { public static var dataType: DataType { .int32 } }
extension UInt32: TensorElement { public static var dataType: DataType { .uint32 } }
extension Int64: TensorElement { public static var dataType: DataType { .int64 } }
extension UInt64: TensorElement { public static var dataType: DataType { .uint64 } }
