/// The human-readable rendering of `ModelSummary` that `qconvert inspect` prints.
extension ModelSummary {
    public var text: String {
        var lines: [String] = []
        let opsetText = opsets.map { "\($0.domain.isEmpty ? "ai.onnx" : $0.domain) \($0.version)" }.joined(separator: ", ")
        let producer = producerName.isEmpty ? "" : ", producer \(producerName) \(producerVersion)".trimmingTrailingSpace()
        lines.append("\(path)  (\(Formatting.bytes(fileBytes)), IR \(irVersion), opset \(opsetText)\(producer))")
        lines.append("inputs:")
        lines.append(indented(Formatting.table(inputs.map(Self.row))))
        lines.append("outputs:")
        lines.append(indented(Formatting.table(outputs.map(Self.row))))
        let subgraphNodes = totalNodeCount - nodeCount
        lines.append("nodes: \(Formatting.grouped(nodeCount))" + (subgraphNodes > 0 ? " (+\(subgraphNodes) in subgraphs)" : "")
            + ", initializers: \(initializerCount), Constant nodes: \(constantNodeCount)")
        lines.append("parameters: \(Formatting.grouped(parameterCount)) (\(Formatting.bytes(parameterBytes)))")
        lines.append("external data: " + (externalData ? "yes (\(externalDataFiles.joined(separator: ", ")))" : "no")
            + ", control flow: " + (controlFlow ? "yes" : "no")
            + (localFunctions.isEmpty ? "" : ", local functions: " + localFunctions.joined(separator: ", ")))
        lines.append("ops:")
        let ops = opHistogram.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        lines.append(indented(Formatting.table(ops.map { [$0.key, String($0.value)] })))
        lines.append("prepare (what each pass changes):")
        lines.append(indented(preparationError.map { "error: " + $0 } ?? preparation.map { "\($0.pass): \($0.summary)" }.joined(separator: "\n")))
        return lines.joined(separator: "\n")
    }

    private static func row(_ value: Value) -> [String] {
        let shape = value.shape.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "(unknown rank)"
        return [value.name, value.dtype, shape]
    }

    private func indented(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
    }
}

extension String {
    fileprivate func trimmingTrailingSpace() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
