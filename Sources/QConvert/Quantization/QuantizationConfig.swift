import Foundation
import QConvertIR
import QConvertONNX

/// `--config q.json`: per-op-type and per-node overrides of what the flags set, for the layers a
/// report or an accuracy check singled out.
///
///     {"op_types": {"MatMul": {"quantize": false}, "ConvTranspose": {"weight_bits": 7}},
///      "nodes": {"/model.22/cv3.0/cv3.0.2/Conv": {"per_channel": false}}}
///
/// A node's own entry wins over its op type's, which wins over the flags. Every key is checked: an
/// unknown one, a value of the wrong type, or a node the model does not have is an error naming it,
/// so a typo never passes silently.
public enum QuantizationConfig {
    static let sections = ["op_types", "nodes"]
    static let settings = ["quantize", "weight_bits", "per_channel"]

    /// Reads the file into `options`' overrides.
    public static func load(path: String, into options: inout QuantizationOptions) throws {
        let file = try MappedFile(path: path)
        let data = file.bytes.isEmpty ? Data() : Data(file.bytes)
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw QConvertError("\(path): not valid JSON")
        }
        if let key = JSONText.duplicateKey(in: Array(file.bytes)) { throw QConvertError("\(path): key '\(key)' appears twice in one object") }
        guard let object = root as? [String: Any] else { throw QConvertError("\(path): expected a JSON object with \(list(sections))") }
        for key in object.keys.sorted() where !sections.contains(key) {
            throw QConvertError("\(path): unknown key '\(key)' (expected \(list(sections)))")
        }
        options.opTypeOverrides = try overrides(object["op_types"], section: "op_types", path: path)
        options.nodeOverrides = try overrides(object["nodes"], section: "nodes", path: path)
    }

    /// Node names the options refer to (`--exclude` and config entries) that `model` lacks, sorted.
    public static func unknownNodes(_ options: QuantizationOptions, in model: Model) -> [String] {
        let names = Set(model.graph.nodes.map(\.name))
        return Set(options.excludeNodes + options.nodeOverrides.keys).subtracting(names).sorted()
    }

    /// Op types the options refer to (`--exclude-op` and config entries) that no operator qconvert
    /// knows has, sorted, each with the known type differing only in case if there is one.
    public static func unknownOpTypes(_ options: QuantizationOptions) -> [(given: String, known: String?)] {
        let known = Set(OpRegistry.operators.map { $0.type })
        return Set(options.excludeOpTypes + options.opTypeOverrides.keys).subtracting(known).sorted().map { given in
            (given, known.first { $0.lowercased() == given.lowercased() })
        }
    }

    private static func overrides(_ value: Any?, section: String, path: String) throws -> [String: QuantizationOptions.NodeOverride] {
        guard let value else { return [:] }
        guard let entries = value as? [String: Any] else { throw QConvertError("\(path): '\(section)' must map names to settings") }
        var result: [String: QuantizationOptions.NodeOverride] = [:]
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            let place = "\(section).\(name)"
            guard let fields = entry as? [String: Any] else { throw QConvertError("\(path): '\(place)' must be an object of \(list(settings))") }
            var override = QuantizationOptions.NodeOverride()
            for (key, setting) in fields.sorted(by: { $0.key < $1.key }) {
                switch key {
                case "quantize":
                    override.quantize = try flag(setting, "\(place).quantize", path)
                case "per_channel":
                    override.perChannel = try flag(setting, "\(place).per_channel", path)
                case "weight_bits":
                    guard let number = setting as? NSNumber, !isBoolean(number), [7, 8].contains(number.doubleValue) else {
                        throw QConvertError("\(path): '\(place).weight_bits' must be 7 or 8")
                    }
                    override.weightBits = number.intValue
                default:
                    throw QConvertError("\(path): unknown setting '\(place).\(key)' (expected \(list(settings)))")
                }
            }
            result[name] = override
        }
        return result
    }

    private static func flag(_ value: Any, _ place: String, _ path: String) throws -> Bool {
        guard let number = value as? NSNumber, isBoolean(number) else { throw QConvertError("\(path): '\(place)' must be true or false") }
        return number.boolValue
    }

    /// JSONSerialization gives booleans and numbers both as NSNumber; a boolean's element type is
    /// "c" (char), a JSON number's never is.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private static func list(_ keys: [String]) -> String {
        keys.map { "'\($0)'" }.joined(separator: ", ")
    }
}
