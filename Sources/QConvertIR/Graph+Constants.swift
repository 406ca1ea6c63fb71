/// Constant tensors wherever the file put them. Why: exporters such as Paddle2ONNX keep every weight in
/// a `Constant` node rather than an initializer, and a weight must be found the same way either way.
extension Graph {
    /// Every value whose tensor is known without running the graph: initializers, then the outputs of
    /// Constant nodes.
    public func constantTensors() -> [String: Tensor] {
        var constants: [String: Tensor] = [:]
        for (name, tensor) in initializers {
            constants[name] = tensor
        }
        for node in nodes where node.opType == "Constant" && node.isDefaultDomain {
            if let output = node.outputs.first, let value = node.constantValue() {
                constants[output] = value
            }
        }
        return constants
    }
}

extension Node {
    /// The tensor a Constant node produces, from whichever `value*` attribute it uses; nil for other
    /// nodes and for sparse values.
    public func constantValue() -> Tensor? {
        guard opType == "Constant", isDefaultDomain else { return nil }
        for attribute in attributes {
            switch (attribute.name, attribute.value) {
            case ("value", .tensor(let t)): return t
            case ("value_float", .float(let f)): return Tensor(scalar: f)
            case ("value_floats", .floats(let fs)): return Tensor(scalars: fs)
            case ("value_int", .int(let i)): return Tensor(scalar: i)
            case ("value_ints", .ints(let values)): return Tensor(scalars: values)
            case ("value_string", .string(let s)): return Tensor(shape: [], strings: [s])
            case ("value_strings", .strings(let ss)): return Tensor(shape: [ss.count], strings: ss)
            default: continue
            }
        }
        return nil
    }
}
