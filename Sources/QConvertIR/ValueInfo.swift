/// A named value's declared type, as graph inputs, outputs and value_info carry it.
public struct ValueInfo: Sendable, Equatable {
    public var name: String
    /// nil when the file gave no type.
    public var type: ValueType?
    public var extras: ProtoExtras

    public init(name: String, type: ValueType? = nil, extras: ProtoExtras = ProtoExtras()) {
        self.name = name
        self.type = type
        self.extras = extras
    }

    /// A tensor value of `elementType` and `shape`.
    public init(name: String, elementType: DataType, shape: [Dim]?) {
        self.init(name: name, type: ValueType(tensor: TensorType(elementType: elementType, shape: shape)))
    }

    /// The tensor type, if the value is a tensor with a recorded type.
    public var tensorType: TensorType? { type?.tensor }
}

/// ONNX's TypeProto. Only tensor types are modelled; sequences, maps and optionals stay in
/// `unknownFields` and are written back unchanged.
public struct ValueType: Sendable, Equatable {
    public var tensor: TensorType?
    public var denotation: String
    public var unknownFields: [UInt8]

    public init(tensor: TensorType?, denotation: String = "", unknownFields: [UInt8] = []) {
        self.tensor = tensor
        self.denotation = denotation
        self.unknownFields = unknownFields
    }
}

/// Element type and shape of a tensor value. A nil shape means unknown rank; an empty one a scalar.
public struct TensorType: Hashable, Sendable {
    public var elementType: DataType
    public var shape: [Dim]?
    /// Per-dimension denotations, when the file gave any (same length as `shape`), else empty.
    public var dimDenotations: [String]

    public init(elementType: DataType, shape: [Dim]?, dimDenotations: [String] = []) {
        self.elementType = elementType
        self.shape = shape
        self.dimDenotations = dimDenotations
    }

    /// The shape as integers when every dimension is a known number.
    public var staticShape: [Int]? {
        guard let shape else { return nil }
        var dims: [Int] = []
        for dim in shape {
            guard case .value(let v) = dim else { return nil }
            dims.append(v)
        }
        return dims
    }
}

/// One dimension of a declared shape: a number, a symbolic name (`batch`), or unknown.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case value(Int)
    case param(String)
    case unknown

    public var description: String {
        switch self {
        case .value(let v): String(v)
        case .param(let p): p
        case .unknown: "?"
        }
    }
}
