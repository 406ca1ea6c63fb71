import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The ONNX backend test cases shipped in the `onnx` package, run through the interpreter against the
/// outputs the ONNX authors recorded, as `Fixtures/onnx-backend-manifest.txt` says: must-pass cases
/// must match, excluded ones must still fail (so an exclusion is dropped once the op lands), and at
/// least 90% of all cases must be must-pass.
///
/// Missing data is a failure, not a skip: CI always has the `.venv` that holds it, and a suite that
/// quietly skips cannot catch anything.
@Suite struct ONNXBackendTests {
    static let manifest = try? ONNXBackendManifest.load()
    static let hasData = ONNXBackendCase.dataRoot != nil

    static func backendCase(_ entry: ONNXBackendManifest.Entry) throws -> ONNXBackendCase {
        try #require(ONNXBackendCase.all().first { $0.name == entry.name }, "\(entry.name) is not in the onnx test data")
    }

    @Test func dataIsPresent() {
        if !Self.hasData {
            Issue.record("ONNX backend test data not found: run Scripts/setup-machine.sh (creates .venv with onnx) or set QCONVERT_ONNX_TESTDATA to onnx/backend/test/data")
        }
    }

    @Test func manifestParsesAndMostCasesMustPass() throws {
        let manifest = try ONNXBackendManifest.load()
        #expect(manifest.mustPass.count * 10 >= manifest.entries.count * 9,
                "\(manifest.mustPass.count) of \(manifest.entries.count) cases must pass, under 90%")
    }

    @Test(.enabled(if: hasData)) func manifestListsEveryCase() throws {
        let listed = Set(try ONNXBackendManifest.load().entries.map(\.name))
        let present = Set(ONNXBackendCase.all().map(\.name))
        #expect(present.subtracting(listed).sorted() == [], "cases in the onnx test data missing from the manifest")
        #expect(listed.subtracting(present).sorted() == [], "manifest cases absent from the onnx test data")
    }

    @Test(.enabled(if: hasData), arguments: manifest?.mustPass ?? [])
    func mustPassCaseMatches(_ entry: ONNXBackendManifest.Entry) throws {
        if let problem = try Self.backendCase(entry).problem(threads: 2) {
            Issue.record("\(entry.name): \(problem)")
        }
    }

    @Test(.enabled(if: hasData), arguments: manifest?.excluded ?? [])
    func excludedCaseStillFails(_ entry: ONNXBackendManifest.Entry) throws {
        #expect(try Self.backendCase(entry).problem(threads: 2) != nil,
                "\(entry.name) passes now: list it as must-pass in the manifest")
    }
}
