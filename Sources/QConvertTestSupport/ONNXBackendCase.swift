#if canImport(Glibc)
import Glibc
#endif
import QConvert
import QConvertIR
import QConvertONNX

/// One test case of the ONNX backend test data shipped inside the `onnx` Python package
/// (`onnx/backend/test/data/<group>/<case>/`: `model.onnx` and `test_data_set_<k>/{input,output}_<j>.pb`).
///
/// Why: these inputs and outputs were produced by the ONNX authors (PyTorch and numpy reference
/// implementations), so they are truth independent of both qconvert and ONNX Runtime.
public struct ONNXBackendCase: Sendable, CustomStringConvertible {
    /// `<group>/<case>`, e.g. `pytorch-converted/test_Conv2d`: how the manifest names it.
    public let name: String
    public let directory: String

    public var description: String { name }

    public init(name: String, directory: String) {
        self.name = name
        self.directory = directory
    }

    /// The folders the acceptance criterion counts (`light/` holds models without inputs, checked
    /// against ONNX Runtime by `Scripts/check-onnx-light.py` instead).
    public static let groups = ["pytorch-converted", "pytorch-operator", "simple"]

    /// The data folder: `$QCONVERT_ONNX_TESTDATA`, else the `onnx` package in the repository's
    /// `.venv` (which `Scripts/setup-machine.sh` creates); nil when neither exists.
    public static let dataRoot: String? = {
        if let value = getenv("QCONVERT_ONNX_TESTDATA") {
            let path = String(cString: value)
            return Directory.exists(path) ? path : nil
        }
        let lib = Fixtures.repositoryRoot + "/.venv/lib"
        guard let pythons = try? Directory.entries(lib) else { return nil }
        for python in pythons where python.hasPrefix("python") {
            let path = "\(lib)/\(python)/site-packages/onnx/backend/test/data"
            if Directory.exists(path) { return path }
        }
        return nil
    }()

    /// Every case present in the data folder's counted groups (empty without data).
    public static func all() -> [ONNXBackendCase] {
        guard let root = dataRoot else { return [] }
        return groups.flatMap { group in
            ((try? Directory.entries(root + "/" + group)) ?? [])
                .filter { FileChecks.exists("\(root)/\(group)/\($0)/model.onnx") }
                .map { ONNXBackendCase(name: group + "/" + $0, directory: "\(root)/\(group)/\($0)") }
        }
    }

    /// Runs every data set of the case with `threads` threads; nil when every output matches within
    /// `|actual - expected| <= 1e-5 + 1e-4 |expected|`, else what went wrong first (a load or run
    /// error counts as a failure too).
    public func problem(threads: Int) -> String? {
        do {
            let model = try ONNXReader.read(path: directory + "/model.onnx")
            let interpreter = try Interpreter(model: model, threads: threads)
            let sets = try Directory.entries(directory).filter { $0.hasPrefix("test_data_set_") }
            guard !sets.isEmpty else { return "no test_data_set_* folders" }
            for set in sets {
                let folder = directory + "/" + set
                let feeds = try inputs(folder, runtimeInputs: interpreter.runtimeInputs.map(\.name))
                let outputs = try interpreter.run(feeds)
                for (index, output) in model.graph.outputs.enumerated() {
                    let expected = try ONNXReader.readTensor(path: "\(folder)/output_\(index).pb").tensor
                    guard let actual = outputs[output.name] else { return "\(set): output \(output.name) missing" }
                    if let mismatch = Closeness.mismatch(actual, expected) {
                        return "\(set) output \(output.name): \(mismatch)"
                    }
                }
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// `input_<j>.pb` by `j`: a named tensor feeds the input of that name, an unnamed one runtime input `j`.
    private func inputs(_ folder: String, runtimeInputs: [String]) throws -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        for index in 0..<runtimeInputs.count {
            let (name, tensor) = try ONNXReader.readTensor(path: "\(folder)/input_\(index).pb")
            feeds[name.isEmpty ? runtimeInputs[index] : name] = tensor
        }
        return feeds
    }
}
