import QConvertIR

/// An integer-list argument that ONNX moved from an attribute to an input at some opset (Slice's
/// starts/ends at 10, Squeeze/Unsqueeze axes, ReduceSum axes and Split's split at 13, the other
/// reductions' axes at 18).
///
/// Why: the op decides once, when compiling, where the list comes from; its kernel just asks for it.
enum IntListArgument: Sendable {
    case attribute([Int]?)
    case input(Int)

    /// The attribute `name` before opset `inputSince`, input `index` from it on.
    init(_ node: Node, _ context: CompileContext, name: String, input index: Int, inputSince: Int) throws {
        if context.opsetVersion >= inputSince {
            self = .input(index)
        } else {
            self = .attribute(try node.ints(name))
        }
    }

    /// The list, or nil when the attribute or the optional input is absent.
    func value(_ inputs: [Tensor?], name: String) throws -> [Int]? {
        switch self {
        case .attribute(let list):
            return list
        case .input(let index):
            guard index < inputs.count, let tensor = inputs[index] else { return nil }
            return try tensor.intValues(name)
        }
    }
}
