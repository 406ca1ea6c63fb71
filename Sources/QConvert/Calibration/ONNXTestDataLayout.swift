import QConvertIR
import QConvertONNX

/// ONNX Runtime's (and the ONNX backend tests') layout: one folder `test_data_set_<k>` per sample,
/// holding `input_<j>.pb` serialized TensorProtos. A tensor whose proto has a name feeds the input of
/// that name; an unnamed one feeds runtime input `j`.
struct ONNXTestDataLayout: SampleLayout {
    let directory: String
    let sets: [String]
    let inputs: [ValueInfo]

    func entries(limit: Int?) throws -> [SampleEntry] {
        try sets.prefix(limit ?? Int.max).map { set in
            let path = directory + "/" + set
            _ = try inputFiles(path)
            return SampleEntry(path: path, part: nil)
        }
    }

    /// `(j, path)` of the `input_<j>.pb` files in a set folder, by `j`.
    func inputFiles(_ folder: String) throws -> [(index: Int, path: String)] {
        var files: [(Int, String)] = []
        for name in try Directory.entries(folder) where name.hasPrefix("input_") && name.hasSuffix(".pb") {
            guard let index = Int(name.dropFirst(6).dropLast(3)), index >= 0 else {
                throw QConvertError("\(folder)/\(name): expected input_<number>.pb")
            }
            files.append((index, folder + "/" + name))
        }
        guard !files.isEmpty else { throw QConvertError("\(folder): no input_<j>.pb files") }
        return files.sorted { $0.0 < $1.0 }
    }

    func load(_ entry: SampleEntry) throws -> [LoadedInput] {
        var loaded: [LoadedInput] = []
        for (index, path) in try inputFiles(entry.path) {
            let (protoName, tensor) = try ONNXReader.readTensor(path: path)
            let name: String
            if protoName.isEmpty {
                guard index < inputs.count else {
                    throw QConvertError("\(path): unnamed tensor \(index) but the model has \(inputs.count) inputs")
                }
                name = inputs[index].name
            } else {
                guard inputs.contains(where: { $0.name == protoName }) else {
                    throw QConvertError("\(path): tensor '\(protoName)' is not an input of the model (inputs: \(inputs.map(\.name).joined(separator: ", ")))")
                }
                name = protoName
            }
            guard !loaded.contains(where: { $0.name == name }) else { throw QConvertError("\(path): input '\(name)' is given twice") }
            loaded.append(LoadedInput(name: name, tensor: tensor, file: path))
        }
        return loaded
    }
}
