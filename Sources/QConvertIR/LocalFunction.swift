/// A model-local function (ONNX IR 8, `ModelProto.functions`): a named list of nodes that a node of
/// the graph calls as if it were one op of domain `domain` and type `name`.
///
/// Why modelled: exporters (PyTorch's dynamo exporter, onnxscript) write them, and a node calling
/// one is an unknown op to every kernel and pass until its body is put in its place. qconvert keeps
/// them through a copy and inlines them before it computes anything (`InlineFunctions`).
public struct LocalFunction: Sendable, Equatable {
    public var domain: String
    public var name: String
    /// IR 10's overload name: several functions may share domain and name and differ by it.
    public var overload: String
    public var inputs: [String]
    public var outputs: [String]
    /// Attributes a call may set that have no default.
    public var attributeNames: [String]
    /// Attributes a call may set, each holding its default value.
    public var attributeDefaults: [Attribute]
    public var nodes: [Node]
    public var opsetImports: [OpsetImport]
    public var extras: ProtoExtras

    public init(domain: String, name: String, overload: String = "", inputs: [String], outputs: [String],
                attributeNames: [String] = [], attributeDefaults: [Attribute] = [], nodes: [Node],
                opsetImports: [OpsetImport], extras: ProtoExtras = ProtoExtras()) {
        self.domain = domain
        self.name = name
        self.overload = overload
        self.inputs = inputs
        self.outputs = outputs
        self.attributeNames = attributeNames
        self.attributeDefaults = attributeDefaults
        self.nodes = nodes
        self.opsetImports = opsetImports
        self.extras = extras
    }

    /// "domain::name", as error messages and `inspect` name the function.
    public var displayName: String { Self.displayName(domain: domain, name: name) }

    public static func displayName(domain: String, name: String) -> String {
        domain.isEmpty ? name : "\(domain)::\(name)"
    }
}
