import Foundation
import QConvertIR

/// JSON encoding used for every machine-readable output: snake_case keys, sorted, pretty-printed, so
/// the same data always gives the same bytes.
public enum JSONText {
    /// `pretty: false` puts everything on one line, for large files such as calibration statistics.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // SQNR of identical tensors is infinite; JSON has no number for it.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes `data`, refusing an object that names a key twice (see `duplicateKey(in:)`).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let value = try decoder.decode(type, from: data)
        // Scanned once the data is known to be JSON: the scan assumes it.
        if let key = duplicateKey(in: Array(data)) { throw QConvertError("key '\(key)' appears twice in one object") }
        return value
    }

    /// The first key that one object of the JSON `text` names twice, or nil. Foundation's readers
    /// keep one of the two without a word, so a hand-edited file with a section written twice would
    /// lose half of what it says. Keys are compared as written (escapes not decoded); `text` is
    /// assumed to be valid JSON.
    public static func duplicateKey(in text: [UInt8]) -> String? {
        var objects: [Set<String>?] = []   // per open bracket: the keys seen so far, nil for an array
        var expectingKey = false
        var i = 0
        while i < text.count {
            switch text[i] {
            case UInt8(ascii: "{"):
                objects.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                objects.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = objects.popLast()
                expectingKey = false
            case UInt8(ascii: ","):
                expectingKey = objects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                var end = i + 1
                while end < text.count && text[end] != UInt8(ascii: "\"") { end += text[end] == UInt8(ascii: "\\") ? 2 : 1 }
                if expectingKey, var keys = objects.last ?? nil {
                    let key = String(decoding: text[(i + 1)..<min(end, text.count)], as: UTF8.self)
                    guard keys.insert(key).inserted else { return key }
                    objects[objects.count - 1] = keys
                    expectingKey = false
                }
                i = end
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
