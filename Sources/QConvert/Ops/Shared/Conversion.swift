import QConvertIR

/// Numeric element-type conversion with ONNX Runtime's Cast semantics: float to integer truncates
/// toward zero, integer to integer keeps the low bits (two's complement wrap), anything to bool is
/// `x != 0`, and float to float16 rounds to nearest even.
///
/// Why in Shared: Cast is the op, but Pow also converts mixed-type inputs with the same rules.
/// Values pass through Double (exact for every float16/bfloat16/float32/float64 value) or Int64 (exact
/// for every integer type except uint64 above Int64.max, which wraps like the C++ cast).
enum Conversion {
    /// Types a tensor can be converted from and to.
    static let supported: [DataType] = [
        .float, .double, .float16, .bfloat16, .int8, .uint8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .bool,
    ]

    /// `x` converted to `target`; the same tensor when it already has that type.
    static func convert(_ x: Tensor, to target: DataType) throws -> Tensor {
        guard supported.contains(target) else { throw QConvertError("conversion to \(target) is not supported") }
        if x.dataType == target { return x }
        if let integers = x.integers() {
            return make(x.shape, target, integers, real: { Double($0) }, integer: { $0 })
        }
        let reals: [Double]
        switch x.dataType {
        case .float: reals = x.withElements(of: Float.self) { $0.map(Double.init) }
        case .double: reals = x.scalars(of: Double.self)
        case .float16: reals = x.withElements(of: UInt16.self) { $0.map { Double(Float16Bits.toFloat($0)) } }
        case .bfloat16: reals = x.withElements(of: UInt16.self) { $0.map { Double(Float(bitPattern: UInt32($0) << 16)) } }
        default: throw QConvertError("conversion from \(x.dataType) is not supported")
        }
        return make(x.shape, target, reals, real: { $0 }, integer: truncate)
    }

    /// d rounded toward zero, as C++'s float-to-integer cast; NaN and values outside Int64's range
    /// (undefined in C++) give Int64.min, which is what x86's conversion instruction returns.
    static func truncate(_ d: Double) -> Int64 {
        guard d > -9.223372036854775808e18 && d < 9.223372036854775808e18 else { return .min }
        return Int64(d)
    }

    /// Float rounded to bfloat16 bits, nearest even.
    static func bfloat16(_ f: Float) -> UInt16 {
        if f.isNaN { return 0x7FC0 }
        let bits = f.bitPattern
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// A tensor of `target` type from source values, each taken through `real` (for floating targets)
    /// or `integer` (for integer and bool targets).
    private static func make<S>(
        _ shape: [Int], _ target: DataType, _ values: [S], real: (S) -> Double, integer: (S) -> Int64
    ) -> Tensor {
        func fill<T: TensorElement>(_ type: T.Type, _ f: (S) -> T) -> Tensor {
            Tensor(shape: shape, dataType: target, of: T.self) { out in
                for i in values.indices { out[i] = f(values[i]) }
            }
        }
        switch target {
        case .float: return fill(Float.self) { Float(real($0)) }
        case .double: return fill(Double.self, real)
        case .float16: return fill(UInt16.self) { Float16Bits.fromFloat(Float(real($0))) }
        case .bfloat16: return fill(UInt16.self) { bfloat16(Float(real($0))) }
        case .bool: return fill(UInt8.self) { real($0) != 0 ? 1 : 0 }
        case .int8: return fill(Int8.self) { Int8(truncatingIfNeeded: integer($0)) }
        case .uint8: return fill(UInt8.self) { UInt8(truncatingIfNeeded: integer($0)) }
        case .int16: return fill(Int16.self) { Int16(truncatingIfNeeded: integer($0)) }
        case .uint16: return fill(UInt16.self) { UInt16(truncatingIfNeeded: integer($0)) }
        case .int32: return fill(Int32.self) { Int32(truncatingIfNeeded: integer($0)) }
        case .uint32: return fill(UInt32.self) { UInt32(truncatingIfNeeded: integer($0)) }
        case .uint64: return fill(UInt64.self) { UInt64(truncatingIfNeeded: integer($0)) }
        default: return fill(Int64.self, integer)  // .int64, the last type `supported` allows
        }
    }
}
