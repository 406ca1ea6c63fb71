#if canImport(Glibc)
import Glibc
#endif

/// A dense tensor: element type, shape, and immutable shared storage.
///
/// Used both for weights in the IR and for values the interpreter computes, so a folded constant and
/// a computed activation are the same thing. Copying a Tensor never copies its bytes.
public struct Tensor: Sendable, Equatable {
    public var dataType: DataType
    public var shape: [Int]
    public var storage: TensorStorage
    /// Doc string and unknown fields of the TensorProto this came from (empty for computed values).
    public var extras: ProtoExtras {
        get { extrasBox?.extras ?? ProtoExtras() }
        set { extrasBox = newValue.isEmpty ? nil : ExtrasBox(extras: newValue) }
    }

    /// `extras` boxed, nil when empty. Why: the interpreter copies computed tensors several times per
    /// node, and an inline ProtoExtras made every copy retain and release its byte array as well.
    private var extrasBox: ExtrasBox?

    public init(dataType: DataType, shape: [Int], storage: TensorStorage, extras: ProtoExtras = ProtoExtras()) {
        self.dataType = dataType
        self.shape = shape
        self.storage = storage
        self.extras = extras
    }

    /// Same type, shape, bytes (or strings) and proto extras; storage identity does not matter.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.dataType == b.dataType && a.shape == b.shape && a.extras == b.extras
            && a.storage.strings == b.storage.strings && sameBytes(a.storage.bytes, b.storage.bytes)
    }

    private static func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress, let pb = b.baseAddress, a.count > 0 else { return true }
        return memcmp(pa, pb, a.count) == 0
    }

    /// Number of elements (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    public var rank: Int { shape.count }

    /// The element count of a shape read from a file, or nil when a dimension is negative or the
    /// nonzero dimensions multiply past Int. Readers check shapes with this before sizing anything
    /// from them. Zeros are left out of the product on purpose: an empty tensor's other dimensions
    /// still get multiplied (strides, slice sizes), so [0, 2^40, 2^40] holds nothing yet overflows.
    public static func checkedElementCount(_ shape: some Sequence<Int>) -> Int? {
        var nonzero = 1
        var hasZero = false
        for dim in shape {
            guard dim >= 0 else { return nil }
            if dim == 0 {
                hasZero = true
                continue
            }
            let (product, overflow) = nonzero.multipliedReportingOverflow(by: dim)
            guard !overflow else { return nil }
            nonzero = product
        }
        return hasZero ? 0 : nonzero
    }

    /// A new tensor of `T` elements whose storage `fill` writes (it starts zeroed).
    @inlinable
    public init<T: TensorElement>(
        shape: [Int], of type: T.Type, fill: (UnsafeMutableBufferPointer<T>) throws -> Void
    ) rethrows {
        let count = shape.reduce(1, *)
        let storage = try TensorStorage(byteCount: count * MemoryLayout<T>.stride) { raw in
            try fill(raw.bindMemory(to: T.self))
        }
        self.init(dataType: T.dataType, shape: shape, storage: storage)
    }

    /// A new tensor of `T` elements that `initialize` must write in full (the storage starts
    /// uninitialised): for kernels that write every output element, where zeroing first is wasted work.
    @inlinable
    public init<T: TensorElement>(
        uninitializedShape shape: [Int], of type: T.Type, initialize: (UnsafeMutableBufferPointer<T>) throws -> Void
    ) rethrows {
        let count = shape.reduce(1, *)
        let storage = try TensorStorage(uninitializedByteCount: count * MemoryLayout<T>.stride) { raw in
            try initialize(raw.bindMemory(to: T.self))
        }
        self.init(dataType: T.dataType, shape: shape, storage: storage)
    }

    /// A tensor holding a copy of `scalars`; `shape` defaults to one dimension.
    public init<T: TensorElement>(shape: [Int]? = nil, scalars: [T]) {
        let shape = shape ?? [scalars.count]
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) does not hold \(scalars.count) elements")
        self.init(uninitializedShape: shape, of: T.self) { out in
            _ = out.initialize(from: scalars)
        }
    }

    /// A rank-0 tensor.
    public init<T: TensorElement>(scalar: T) {
        self.init(shape: [], scalars: [scalar])
    }

    /// A string tensor.
    public init(shape: [Int], strings: [[UInt8]]) {
        self.init(dataType: .string, shape: shape, storage: TensorStorage(strings: strings))
    }

    /// Reads the elements as `T`, which must have the element type's bit width (so float16 may be read
    /// as UInt16 and bool as UInt8). Inlinable, like the initialisers above, so kernels in other modules
    /// get it specialised for their element type instead of a generic call per use.
    @inlinable
    public func withElements<T: TensorElement, R>(
        of type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R
    ) rethrows -> R {
        precondition(MemoryLayout<T>.size * 8 == dataType.bitWidth, "reading \(dataType) tensor as \(T.self)")
        let buffer = UnsafeBufferPointer(start: storage.bytes.baseAddress?.assumingMemoryBound(to: T.self), count: count)
        return try body(buffer)
    }

    /// A copy of the elements as `T` (same bit-width rule as `withElements`).
    public func scalars<T: TensorElement>(of type: T.Type) -> [T] {
        withElements(of: T.self) { Array($0) }
    }

    /// Integer elements (int8...uint64, bool) widened to Int64: how shape-like inputs are read.
    /// Returns nil for other types.
    public func integers() -> [Int64]? {
        switch dataType {
        case .int64: return scalars(of: Int64.self)
        case .int32: return scalars(of: Int32.self).map(Int64.init)
        case .int16: return scalars(of: Int16.self).map(Int64.init)
        case .int8: return scalars(of: Int8.self).map(Int64.init)
        case .uint8, .bool: return scalars(of: UInt8.self).map(Int64.init)
        case .uint16: return scalars(of: UInt16.self).map(Int64.init)
        case .uint32: return scalars(of: UInt32.self).map(Int64.init)
        case .uint64: return scalars(of: UInt64.self).map { Int64(truncatingIfNeeded: $0) }
        default: return nil
        }
    }

    /// Elements converted to Float (float32, float64, float16, bfloat16 and integer types).
    /// Returns nil for strings and types without a numeric meaning here.
    public func floats() -> [Float]? {
        switch dataType {
        case .float: return scalars(of: Float.self)
        case .double: return scalars(of: Double.self).map(Float.init)
        case .float16: return scalars(of: UInt16.self).map(Float16Bits.toFloat)
        case .bfloat16: return scalars(of: UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        default: return integers()?.map(Float.init)
        }
    }

    /// The same storage under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var copy = self
        copy.shape = newShape
        return copy
    }
}

/// IEEE half-precision conversion, done by hand so it does not depend on the platform's Float16.
public enum Float16Bits {
    /// Widens half-precision bits to Float: exact for every half value, including subnormals, inf, NaN.
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Subnormal or zero: value = mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    /// Narrows Float to half-precision bits, rounding to nearest even, overflowing to infinity.
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        if f.isNaN { return sign | 0x7E00 }
        let magnitude = abs(f)
        if magnitude >= 65520 { return sign | 0x7C00 }
        if magnitude < Float(sign: .plus, exponent: -14, significand: 1) {
            // Subnormal half: round magnitude / 2^-24 to an integer, half to even.
            let units = (magnitude * Float(sign: .plus, exponent: 24, significand: 1)).rounded(.toNearestOrEven)
            return sign | UInt16(units)
        }
        let exponent = Int((bits >> 23) & 0xFF) - 127 + 15
        var mantissa = (bits & 0x7F_FFFF)
        var halfExponent = UInt32(exponent)
        let dropped = mantissa & 0x1FFF
        mantissa >>= 13
        if dropped > 0x1000 || (dropped == 0x1000 && mantissa & 1 == 1) {
            mantissa += 1
            if mantissa == 0x400 {
                mantissa = 0
                halfExponent += 1
            }
        }
        return sign | UInt16(halfExponent << 10) | UInt16(mantissa)
    }
}

/// A tensor's non-empty `ProtoExtras`, shared by its copies.
private final class ExtrasBox: Sendable {
    let extras: ProtoExtras

    init(extras: ProtoExtras) {
        self.extras = extras
    }
}
