/// 64-bit FNV-1a, the hash behind `ModelFingerprint` and `SampleDigest`: cheap, and the same in every
/// process and on every machine (Swift's `Hasher` is seeded per process), written as 16 hex digits.
struct FNV64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01b3
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
