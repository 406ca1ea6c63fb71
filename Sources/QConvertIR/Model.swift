/// A whole ONNX model: the main graph plus the file-level facts around it.
public struct Model: Sendable, Equatable {
    public var irVersion: Int64
    public var opsetImports: [OpsetImport]
    public var producerName: String
    public var producerVersion: String
    public var domain: String
    public var modelVersion: Int64
    public var metadata: [MetadataEntry]
    public var graph: Graph
    /// Model-local functions, which nodes of the graph may call.
    public var functions: [LocalFunction]
    public var extras: ProtoExtras

    public init(
        irVersion: Int64 = 8, opsetImports: [OpsetImport] = [OpsetImport(domain: "", version: 13)],
        producerName: String = "", producerVersion: String = "", domain: String = "", modelVersion: Int64 = 0,
        metadata: [MetadataEntry] = [], graph: Graph, functions: [LocalFunction] = [], extras: ProtoExtras = ProtoExtras()
    ) {
        self.irVersion = irVersion
        self.opsetImports = opsetImports
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.domain = domain
        self.modelVersion = modelVersion
        self.metadata = metadata
        self.graph = graph
        self.functions = functions
        self.extras = extras
    }

    /// `domain` with the default domain's two spellings, "" and "ai.onnx", made one: "".
    public static func canonicalDomain(_ domain: String) -> String {
        domain == "ai.onnx" ? "" : domain
    }

    /// Every imported opset version by domain, "" standing for the default domain (also "ai.onnx").
    public var opsetVersions: [String: Int] {
        var versions: [String: Int] = [:]
        for opset in opsetImports { versions[Self.canonicalDomain(opset.domain)] = Int(opset.version) }
        return versions
    }

    /// The IR version the ONNX release that introduced default-domain `opset` wrote (onnx's
    /// VERSION_TABLE): opset 8 and before IR 3, 9 -> 4, 10 -> 5, 11 -> 6, 12-14 -> 7, 15-18 -> 8,
    /// 19-20 -> 9, 21-22 -> 10, 23 on -> 11.
    public static func minimumIRVersion(opset: Int) -> Int64 {
        switch opset {
        case ...8: 3
        case 9: 4
        case 10: 5
        case 11: 6
        case 12...14: 7
        case 15...18: 8
        case 19...20: 9
        case 21...22: 10
        default: 11
        }
    }

    /// The imported opset version of `domain` ("" and "ai.onnx" are the same domain).
    public func opsetVersion(domain: String = "") -> Int? {
        let wanted = Self.canonicalDomain(domain)
        return opsetImports.first(where: { Self.canonicalDomain($0.domain) == wanted }).map { Int($0.version) }
    }

    /// Sets (or adds) the opset version imported for `domain`. A default-domain opset newer than the
    /// IR version allows raises the IR version too (an IR 3 model moved to opset 14 is invalid, and
    /// IR 3 also wants every initializer listed as a graph input, which new ones are not).
    public mutating func setOpsetVersion(_ version: Int, domain: String = "") {
        let wanted = Self.canonicalDomain(domain)
        if wanted.isEmpty { irVersion = max(irVersion, Self.minimumIRVersion(opset: version)) }
        if let index = opsetImports.firstIndex(where: { Self.canonicalDomain($0.domain) == wanted }) {
            opsetImports[index].version = Int64(version)
        } else {
            opsetImports.append(OpsetImport(domain: domain, version: Int64(version)))
        }
    }
}

/// An imported operator set: domain and version.
public struct OpsetImport: Hashable, Sendable {
    public var domain: String
    public var version: Int64
    /// Whether the file states the domain even when it is "" (onnx.helper does; some exporters
    /// omit it), so a copy keeps the message as it was.
    public var domainIsWritten: Bool

    public init(domain: String, version: Int64, domainIsWritten: Bool = true) {
        self.domain = domain
        self.version = version
        self.domainIsWritten = domainIsWritten || !domain.isEmpty
    }
}

/// A model-level key/value metadata entry.
public struct MetadataEntry: Hashable, Sendable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
