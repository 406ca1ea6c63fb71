import QConvertIR
import QConvertONNX

/// What `qconvert inspect` reports about a model: versions, interface, op histogram and weight sizes.
///
/// Codable with snake_case keys; its JSON is a stable interface for scripts (documented in README).
public struct ModelSummary: Codable, Sendable, Equatable {
    public struct Opset: Codable, Sendable, Equatable {
        public var domain: String
        public var version: Int64
    }

    public struct Value: Codable, Sendable, Equatable {
        public var name: String
        public var dtype: String
        /// Dimensions as numbers, symbolic names, or "?" for unknown; nil for unknown rank.
        public var shape: [DimValue]?
    }

    /// A dimension in JSON: a number, or a string for symbolic and unknown dimensions.
    public enum DimValue: Codable, Sendable, Equatable, CustomStringConvertible {
        case value(Int)
        case name(String)

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) { self = .value(value) } else { self = .name(try container.decode(String.self)) }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .value(let v): try container.encode(v)
            case .name(let n): try container.encode(n)
            }
        }

        public var description: String {
            switch self {
            case .value(let v): String(v)
            case .name(let n): n
            }
        }
    }

    /// What one pass of the prepare pipeline changes in this model.
    public struct PassChange: Codable, Sendable, Equatable {
        public var pass: String
        public var changes: Int
        public var summary: String
    }

    public var path: String
    public var fileBytes: Int
    public var irVersion: Int64
    public var opsets: [Opset]
    public var producerName: String
    public var producerVersion: String
    public var inputs: [Value]
    public var outputs: [Value]
    /// Op type -> count, over the main graph and every subgraph.
    public var opHistogram: [String: Int]
    /// Nodes in the main graph / in all graphs including subgraphs.
    public var nodeCount: Int
    public var totalNodeCount: Int
    public var initializerCount: Int
    public var constantNodeCount: Int
    /// Elements and bytes of all initializers and Constant-node tensors, subgraphs included.
    public var parameterCount: Int
    public var parameterBytes: Int
    public var externalData: Bool
    public var externalDataFiles: [String]
    public var controlFlow: Bool
    /// The model-local functions the file defines ("domain::name"), which preparation inlines.
    public var localFunctions: [String]
    /// What each pass of `prepare` changes (the model as quantization sees it), in pipeline order;
    /// empty when preparation fails, with the reason in `preparationError`.
    public var preparation: [PassChange]
    public var preparationError: String?

    public init(_ loaded: LoadedModel) {
        let model = loaded.model
        path = loaded.path
        fileBytes = loaded.fileBytes
        irVersion = model.irVersion
        opsets = model.opsetImports.map { Opset(domain: $0.domain, version: $0.version) }
        producerName = model.producerName
        producerVersion = model.producerVersion
        inputs = model.graph.runtimeInputs.map(Self.value)
        outputs = model.graph.outputs.map(Self.value)
        var histogram: [String: Int] = [:]
        var total = 0, initializers = 0, constants = 0, count = 0, bytes = 0
        model.graph.forEachGraph { graph in
            initializers += graph.initializers.count
            for tensor in graph.initializers.values {
                count += tensor.count
                bytes += tensor.storage.bytes.count
            }
            for node in graph.nodes {
                histogram[node.opType, default: 0] += 1
                total += 1
                if let tensor = node.constantValue() {
                    constants += 1
                    count += tensor.count
                    bytes += tensor.storage.bytes.count
                }
            }
        }
        opHistogram = histogram
        nodeCount = model.graph.nodes.count
        totalNodeCount = total
        initializerCount = initializers
        constantNodeCount = constants
        parameterCount = count
        parameterBytes = bytes
        externalDataFiles = loaded.externalDataFiles
        externalData = !loaded.externalDataFiles.isEmpty
        controlFlow = ["If", "Loop", "Scan"].contains { histogram[$0] != nil }
        localFunctions = model.functions.map(\.displayName)
        do {
            preparation = try Preparation.run(model).outcomes.map { PassChange(pass: $0.pass, changes: $0.report.changes, summary: $0.report.summary) }
        } catch {
            preparation = []
            preparationError = "\(error)"
        }
    }

    static func value(_ info: ValueInfo) -> Value {
        let shape = info.tensorType?.shape?.map { dim -> DimValue in
            switch dim {
            case .value(let v): .value(v)
            case .param(let p): .name(p)
            case .unknown: .name("?")
            }
        }
        return Value(name: info.name, dtype: info.tensorType.map { $0.elementType.description } ?? "?", shape: shape)
    }
}
