import QConvert
import QConvertIR
import QConvertONNX

/// A model with inputs and ONNX-Runtime-computed expected outputs, as `Scripts/make-fixtures.py`
/// (whole models, `Fixtures/models/<case>/`) and `Scripts/make-op-cases.py` (single ops,
/// `Fixtures/ops/<case>/`) write them: `model.onnx`, `input_<k>.npy`, `output_<k>.npy`.
public struct FixtureCase: Sendable, CustomStringConvertible {
    public let name: String
    public let directory: String

    public var modelPath: String { directory + "/model.onnx" }
    public var description: String { name }

    public init(name: String, directory: String) {
        self.name = name
        self.directory = directory
    }

    public func model() throws -> Model { try ONNXReader.read(path: modelPath) }

    /// `input_0.npy`, `input_1.npy`... in order.
    public func inputs() throws -> [Tensor] { try numbered("input") }

    /// `output_0.npy`... in order; empty when ONNX Runtime could not run the case.
    public func expectedOutputs() throws -> [Tensor] { try numbered("output") }

    /// The inputs keyed by the model's runtime input names.
    public func feeds() throws -> [String: Tensor] {
        let names = try model().graph.runtimeInputs.map(\.name)
        return Dictionary(uniqueKeysWithValues: zip(names, try inputs()))
    }

    private func numbered(_ prefix: String) throws -> [Tensor] {
        var tensors: [Tensor] = []
        while true {
            let path = "\(directory)/\(prefix)_\(tensors.count).npy"
            guard FileChecks.exists(path) else { return tensors }
            tensors.append(try Npy.read(path: path))
        }
    }
}

/// Where the committed fixtures are.
public enum Fixtures {
    /// The repository's root folder, found from this source file's location.
    public static let repositoryRoot: String = {
        var parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Sources/QConvertTestSupport/FixtureCase.swift
        return parts.joined(separator: "/")
    }()

    /// The repository's `Fixtures/` folder.
    public static let root: String = repositoryRoot + "/Fixtures"

    /// Whole-model fixtures, `Fixtures/models/<case>`.
    public static func models() -> [FixtureCase] { cases(in: root + "/models") }

    /// Single-op cases, `Fixtures/ops/<case>`.
    public static func ops() -> [FixtureCase] { cases(in: root + "/ops") }

    public static func model(_ name: String) -> FixtureCase {
        FixtureCase(name: name, directory: root + "/models/" + name)
    }

    static func cases(in folder: String) -> [FixtureCase] {
        guard let names = try? Directory.entries(folder) else { return [] }
        return names.filter { FileChecks.exists(folder + "/" + $0 + "/model.onnx") }
            .map { FixtureCase(name: $0, directory: folder + "/" + $0) }
    }
}
