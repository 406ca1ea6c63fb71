import QConvertIR
import Testing

/// Tensor storage, typed access and the hand-written float16 conversion.
@Suite struct TensorTests {
    @Test func float16ConversionMatchesIEEEValues() {
        // (bits, value) pairs computed by hand from the binary16 format.
        let cases: [(UInt16, Float)] = [
            (0x0000, 0), (0x3C00, 1), (0xC000, -2), (0x3555, 0.333251953125), (0x7BFF, 65504),
            (0x0001, 5.960464477539063e-08), (0x0400, 6.103515625e-05), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases {
            #expect(Float16Bits.toFloat(bits) == value)
            #expect(Float16Bits.fromFloat(value) == bits)
        }
        #expect(Float16Bits.toFloat(0x7E00).isNaN)
        #expect(Float16Bits.fromFloat(1e6) == 0x7C00, "overflow goes to infinity")
        #expect(Float16Bits.fromFloat(1.0 + 1.0 / 2048) == 0x3C00, "halfway rounds to even")
        #expect(Float16Bits.fromFloat(1.0 + 3.0 / 2048) == 0x3C02, "halfway rounds to even (up)")
    }

    @Test func byteCountsAndOverflow() {
        #expect(DataType.float.byteCount(elements: 10) == 40)
        #expect(DataType.int4.byteCount(elements: 3) == 2)
        #expect(DataType.string.byteCount(elements: 3) == nil)
        #expect(DataType.int64.byteCount(elements: Int.max / 2) == nil)
    }

    @Test func equalityComparesBytesNotStorage() {
        let a = Tensor(shape: [2], scalars: [Float(1), 2])
        let b = Tensor(shape: [2], scalars: [Float(1), 2])
        #expect(a == b)
        #expect(a != Tensor(shape: [2], scalars: [Float(1), 3]))
        #expect(a != a.reshaped([1, 2]))
    }

    @Test func integersWidenEveryIntegerType() {
        #expect(Tensor(scalars: [Int32(-3), 7]).integers() == [-3, 7])
        #expect(Tensor(scalars: [UInt8(255)]).integers() == [255])
        #expect(Tensor(scalars: [Float(1)]).integers() == nil)
    }
}
