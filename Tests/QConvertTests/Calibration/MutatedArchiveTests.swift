@testable import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Calibration archives damaged at random (bit flips, truncation, a run of bytes repeated): listing
/// the folder and loading every sample either works or throws a one-line `QConvertError`, never
/// traps, whatever the damage hits (a zip header, an `.npy` header, a deflate stream, a size the
/// reader allocates from). Three bases: numpy's own deflated archive (Huffman-coded deflate, read
/// whole), and archives split into batches, stored and deflated, which go through `NpyArray` views
/// and `DeflateIndex` reads. A trap ends the test process, which fails the run.
@Suite struct MutatedArchiveTests {
    let temporary = TemporaryDirectories()

    enum Base: String, CaseIterable, Sendable {
        case numpyDeflated, splitStored, splitDeflated

        func bytes() throws -> [UInt8] {
            let split = try Npy.encode(Tensor(shape: [8, 3], scalars: (0..<24).map { Float($0) / 4 - 3 }))
            switch self {
            case .numpyDeflated: return FileChecks.read(Fixtures.root + "/calib/two_inputs/npz_deflated/0001.npz")!
            case .splitStored: return ZipFixture.stored([("x.npy", split)])
            case .splitDeflated: return ZipFixture.stored([("x.npy", split)], deflate: true)
            }
        }

        func inputs() throws -> [ValueInfo] {
            guard self == .numpyDeflated else { return [ValueInfo(name: "x", elementType: .float, shape: [.value(2), .value(3)])] }
            return try ONNXReader.read(path: Fixtures.root + "/calib/two_inputs/model.onnx").graph.runtimeInputs
        }
    }

    @Test(arguments: Base.allCases)
    func damagedArchivesFailCleanly(base: Base) throws {
        let original = try base.bytes(), inputs = try base.inputs()
        var random = SeededGenerator(seed: 2026)
        var outcomes = (loaded: 0, refused: 0)
        for _ in 0..<500 {
            var bytes = original
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
                }
            case 1:
                bytes.removeLast(Int.random(in: 1..<bytes.count, using: &random))
            default:
                let start = Int.random(in: 0..<bytes.count, using: &random)
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + Int.random(in: 1...16, using: &random))], at: start)
            }
            let folder = temporary.make()
            FileChecks.write(bytes, to: folder + "/a.npz")
            do {
                let dataset = try CalibrationDataset(directory: folder, inputs: inputs)
                for index in 0..<dataset.count { _ = try dataset.sample(index) }
                outcomes.loaded += 1
            } catch let error as QConvertError {
                #expect(!error.description.contains("\n"), "\(error.description)")
                outcomes.refused += 1
            }
        }
        // Most damage must be caught (CRC-32, sizes, headers): 474-494 of the 500 were when this was
        // written. A flip in a field no one reads (a version, a date, the extra bytes' padding) loads.
        #expect(outcomes.refused > 450, "\(outcomes)")
    }
}
