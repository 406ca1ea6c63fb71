/// A compact, stable text form of a graph: one line per node, for `--print-after` and golden tests.
///
///     %y = Conv(%x, %w, %b) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
///
/// Constants print as their type and shape only (`w: float32[8, 3, 3, 3]`); subgraphs print indented
/// under their node.
extension Graph {
    public func text(indent: String = "") -> String {
        var lines: [String] = []
        let declared = inputs.map { "%\($0.name): \(Self.typeText($0.tensorType))" }
        lines.append(indent + "graph \(name)(" + declared.joined(separator: ", ") + ")")
        for (name, tensor) in initializers {
            lines.append(indent + "  \(name): \(tensor.dataType)\(tensor.shape)")
        }
        for node in nodes {
            let outputs = node.outputs.map { $0.isEmpty ? "_" : "%" + $0 }.joined(separator: ", ")
            let inputs = node.inputs.map { $0.isEmpty ? "_" : "%" + $0 }.joined(separator: ", ")
            let op = node.isDefaultDomain ? node.opType : node.domain + "." + node.opType
            let attributes = node.attributes.filter { $0.value.subgraphs.isEmpty }.map { "\($0.name)=\(Self.valueText($0.value))" }
            lines.append(indent + "  \(outputs) = \(op)(\(inputs))" + (attributes.isEmpty ? "" : " {" + attributes.joined(separator: ", ") + "}"))
            for attribute in node.attributes {
                for sub in attribute.value.subgraphs {
                    lines.append(indent + "    \(attribute.name):")
                    lines.append(sub.text(indent: indent + "    "))
                }
            }
        }
        lines.append(indent + "  return " + outputs.map { "%" + $0.name }.joined(separator: ", "))
        return lines.joined(separator: "\n")
    }

    static func typeText(_ type: TensorType?) -> String {
        guard let type else { return "?" }
        guard let shape = type.shape else { return "\(type.elementType)[...]" }
        return "\(type.elementType)[" + shape.map(\.description).joined(separator: ", ") + "]"
    }

    static func valueText(_ value: AttributeValue) -> String {
        switch value {
        case .float(let f): return "\(f)"
        case .int(let i): return "\(i)"
        case .string(let s): return "\"" + String(decoding: s, as: UTF8.self) + "\""
        case .tensor(let t): return "tensor<\(t.dataType)\(t.shape)>"
        case .floats(let fs): return "\(fs)"
        case .ints(let values): return "\(values)"
        case .strings(let ss): return "[" + ss.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }.joined(separator: ", ") + "]"
        case .tensors(let ts): return "[" + ts.map { "tensor<\($0.dataType)\($0.shape)>" }.joined(separator: ", ") + "]"
        case .graph, .graphs: return "<graph>"
        case .other(let code): return "<attribute type \(code)>"
        }
    }
}
