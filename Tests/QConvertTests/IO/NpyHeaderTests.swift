@testable import QConvert
import QConvertIR
import Testing

/// `.npy` headers as numpy reads them, beyond what `np.save` writes.
@Suite struct NpyHeaderTests {
    /// A hand-written header's 'f4' has no byte-order mark: numpy reads it as native (little-endian
    /// here); it was refused as an unsupported dtype.
    @Test func typeCodeWithoutByteOrderIsNative() throws {
        let tensor = Tensor(shape: [2], scalars: [Float(1.5), -2])
        var bytes = try Npy.encode(tensor)
        let code = Array("'<f4'".utf8)
        let at = try #require((0...(bytes.count - code.count)).first { Array(bytes[$0..<($0 + code.count)]) == code })
        bytes.replaceSubrange(at..<(at + code.count), with: Array("'f4' ".utf8))   // same length: the data stays aligned
        let back = try bytes.withUnsafeBytes { try Npy.decode($0, owner: nil) }
        #expect(back.dataType == .float && back.scalars(of: Float.self) == [1.5, -2])
    }
}
