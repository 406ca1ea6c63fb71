/// What a protobuf message carried that qconvert does not interpret: its doc string and the raw bytes
/// of fields our schema does not name (functions, sparse tensors, metadata on nodes, newer fields).
///
/// Why keep them: a read -> write round trip must not lose anything a user or a runtime relies on.
/// The writer puts these bytes back verbatim.
public struct ProtoExtras: Hashable, Sendable {
    public var docString: String
    public var unknownFields: [UInt8]
    /// The `name` of a tensor held in an attribute (Constant values). Initializers are named by their
    /// key in `Graph.initializers` instead, so this stays empty for them.
    public var name: String

    public init(docString: String = "", unknownFields: [UInt8] = [], name: String = "") {
        self.docString = docString
        self.unknownFields = unknownFields
        self.name = name
    }

    public var isEmpty: Bool { docString.isEmpty && unknownFields.isEmpty && name.isEmpty }
}
