/// A node attribute: a name and one typed value, as ONNX's AttributeProto holds it.
public struct Attribute: Sendable, Equatable {
    public var name: String
    public var value: AttributeValue
    /// Set inside function bodies, where the attribute refers to one of the function's own.
    public var refAttrName: String
    public var extras: ProtoExtras

    public init(name: String, value: AttributeValue, refAttrName: String = "", extras: ProtoExtras = ProtoExtras()) {
        self.name = name
        self.value = value
        self.refAttrName = refAttrName
        self.extras = extras
    }
}

/// The value of an attribute. Kinds this code does not model (sparse tensors, type protos) are kept as
/// `.other` with their ONNX type number; their payload stays in the attribute's unknown fields.
public enum AttributeValue: Sendable, Equatable {
    case float(Float)
    case int(Int64)
    case string([UInt8])
    case tensor(Tensor)
    case graph(Graph)
    case floats([Float])
    case ints([Int64])
    case strings([[UInt8]])
    case tensors([Tensor])
    case graphs([Graph])
    case other(typeCode: Int32)

    /// AttributeProto.AttributeType's number for this kind.
    public var typeCode: Int32 {
        switch self {
        case .float: 1
        case .int: 2
        case .string: 3
        case .tensor: 4
        case .graph: 5
        case .floats: 6
        case .ints: 7
        case .strings: 8
        case .tensors: 9
        case .graphs: 10
        case .other(let code): code
        }
    }

    /// Subgraphs held by this value (If/Loop/Scan bodies).
    public var subgraphs: [Graph] {
        switch self {
        case .graph(let g): [g]
        case .graphs(let gs): gs
        default: []
        }
    }
}
