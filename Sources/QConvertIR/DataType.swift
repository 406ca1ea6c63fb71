/// An ONNX tensor element type, numbered as `TensorProto.DataType` numbers it.
///
/// A struct rather than an enum so that element types newer than this code (any Int32) are still
/// carried through a round trip; the named constants cover what qconvert computes with.
public struct DataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    public static let undefined = DataType(rawValue: 0)
    public static let float = DataType(rawValue: 1)
    public static let uint8 = DataType(rawValue: 2)
    public static let int8 = DataType(rawValue: 3)
    public static let uint16 = DataType(rawValue: 4)
    public static let int16 = DataType(rawValue: 5)
    public static let int32 = DataType(rawValue: 6)
    public static let int64 = DataType(rawValue: 7)
    public static let string = DataType(rawValue: 8)
    public static let bool = DataType(rawValue: 9)
    public static let float16 = DataType(rawValue: 10)
    public static let double = DataType(rawValue: 11)
    public static let uint32 = DataType(rawValue: 12)
    public static let uint64 = DataType(rawValue: 13)
    public static let complex64 = DataType(rawValue: 14)
    public static let complex128 = DataType(rawValue: 15)
    public static let bfloat16 = DataType(rawValue: 16)
    public static let float8e4m3fn = DataType(rawValue: 17)
    public static let float8e4m3fnuz = DataType(rawValue: 18)
    public static let float8e5m2 = DataType(rawValue: 19)
    public static let float8e5m2fnuz = DataType(rawValue: 20)
    public static let uint4 = DataType(rawValue: 21)
    public static let int4 = DataType(rawValue: 22)
    public static let float4e2m1 = DataType(rawValue: 23)

    private static let table: [Int32: (name: String, bits: Int)] = [
        1: ("float32", 32), 2: ("uint8", 8), 3: ("int8", 8), 4: ("uint16", 16), 5: ("int16", 16),
        6: ("int32", 32), 7: ("int64", 64), 8: ("string", 0), 9: ("bool", 8), 10: ("float16", 16),
        11: ("float64", 64), 12: ("uint32", 32), 13: ("uint64", 64), 14: ("complex64", 64),
        15: ("complex128", 128), 16: ("bfloat16", 16), 17: ("float8e4m3fn", 8), 18: ("float8e4m3fnuz", 8),
        19: ("float8e5m2", 8), 20: ("float8e5m2fnuz", 8), 21: ("uint4", 4), 22: ("int4", 4),
        23: ("float4e2m1", 4),
    ]

    /// Whether this code knows the type (its size, its name).
    public var isKnown: Bool { Self.table[rawValue] != nil }

    /// Bits per element; 0 for strings and unknown types.
    public var bitWidth: Int { Self.table[rawValue]?.bits ?? 0 }

    /// Bytes needed for `count` elements of raw data (sub-byte types pack two to a byte), or nil for
    /// strings, unknown types and counts whose byte size overflows.
    public func byteCount(elements count: Int) -> Int? {
        let bits = bitWidth
        guard bits > 0, count >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: bits)
        // Rounded up without `product + 7`, which overflows for 4-bit counts just under Int.max / 4.
        return overflow ? nil : product / 8 + (product % 8 == 0 ? 0 : 1)
    }

    /// numpy-style name (`float32`, `int8`...), as `inspect` and error messages print it.
    public var description: String { Self.table[rawValue]?.name ?? "dtype(\(rawValue))" }

    /// The type named by `description`, for parsing user input.
    public init?(name: String) {
        guard let entry = Self.table.first(where: { $0.value.name == name }) else { return nil }
        self.init(rawValue: entry.key)
    }
}
