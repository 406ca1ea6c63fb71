import QConvertIR

/// A 64-bit FNV-1a hash of a model's structure, written as 16 hex digits: runtime inputs (name,
/// element type, dimensions), every node (op type, domain, input and output names) in order, and the
/// graph outputs. Weights are not hashed.
///
/// Why: statistics are keyed by tensor names, so loading statistics gathered on another model (or
/// on this one before a rewrite renamed its values) must fail loudly instead of quietly matching
/// nothing. Structure, not weights, decides which names exist; hashing it is cheap.
public enum ModelFingerprint {
    public static func of(_ model: Model) -> String {
        var hash = FNV64()
        func mix(_ text: String) {
            for byte in text.utf8 + [0] { hash.mix(UInt64(byte)) }
        }
        for input in model.graph.runtimeInputs {
            mix(input.name)
            mix(input.tensorType.map { "\($0.elementType)" } ?? "?")
            mix(input.tensorType?.shape.map { $0.map(\.description).joined(separator: ",") } ?? "?")
        }
        for node in model.graph.nodes {
            mix(node.domain + "::" + node.opType)
            node.inputs.forEach(mix)
            mix("->")
            node.outputs.forEach(mix)
        }
        model.graph.outputs.map(\.name).forEach(mix)
        return hash.hex
    }
}
