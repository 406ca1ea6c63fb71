/// One operator application. Values are referred to by name, as in ONNX; an empty input name is an
/// omitted optional input.
public struct Node: Sendable, Equatable {
    public var name: String
    public var opType: String
    /// Operator domain; "" (and "ai.onnx") is the default ONNX domain.
    public var domain: String
    public var inputs: [String]
    public var outputs: [String]
    public var attributes: [Attribute]
    public var extras: ProtoExtras

    public init(
        name: String = "", opType: String, domain: String = "", inputs: [String], outputs: [String],
        attributes: [Attribute] = [], extras: ProtoExtras = ProtoExtras()
    ) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.extras = extras
    }

    /// Whether the op is from the default ONNX domain.
    public var isDefaultDomain: Bool { domain.isEmpty || domain == "ai.onnx" }

    /// A name for messages: the node name if it has one, else its op type and first output.
    public var displayName: String {
        name.isEmpty ? "\(opType) -> \(outputs.first ?? "?")" : name
    }

    public func attribute(_ name: String) -> AttributeValue? {
        attributes.first(where: { $0.name == name })?.value
    }

    /// Replaces or appends an attribute.
    public mutating func setAttribute(_ name: String, _ value: AttributeValue) {
        if let index = attributes.firstIndex(where: { $0.name == name }) {
            attributes[index].value = value
        } else {
            attributes.append(Attribute(name: name, value: value))
        }
    }

    public mutating func removeAttribute(_ name: String) {
        attributes.removeAll { $0.name == name }
    }

    /// All subgraphs in this node's attributes.
    public var subgraphs: [Graph] { attributes.flatMap { $0.value.subgraphs } }
}
