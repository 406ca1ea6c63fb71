import QConvertIR

/// `Fixtures/onnx-backend-manifest.txt`: every ONNX backend test case, each either `must-pass` or
/// `excluded` with a one-line reason.
///
/// Why a committed list: the pass rate is then a reviewed fact of the repository, a newly failing case
/// is a test failure rather than a silently lower count, and every exclusion has to say why.
///
///     # comment
///     must-pass pytorch-converted/test_Conv2d
///     excluded simple/test_gradient_of_add: Gradient is a training-only op
public struct ONNXBackendManifest: Sendable {
    public struct Entry: Sendable, CustomStringConvertible {
        public let name: String
        /// nil for a must-pass case.
        public let exclusionReason: String?
        public var description: String { name }
    }

    public let entries: [Entry]

    public static let path = Fixtures.root + "/onnx-backend-manifest.txt"

    public var mustPass: [Entry] { entries.filter { $0.exclusionReason == nil } }
    public var excluded: [Entry] { entries.filter { $0.exclusionReason != nil } }

    /// Parses the manifest text; a malformed line or a case listed twice is an error naming the line.
    public init(text: String) throws {
        var entries: [Entry] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", maxSplits: 1)
            let rest = words.count > 1 ? words[1].drop { $0 == " " } : ""
            switch words[0] {
            case "must-pass" where !rest.isEmpty && !rest.contains(" "):
                entries.append(Entry(name: String(rest), exclusionReason: nil))
            case "excluded":
                guard let colon = rest.firstIndex(of: ":"), !rest[..<colon].contains(" "),
                      case let reason = rest[rest.index(after: colon)...].drop(while: { $0 == " " }), !reason.isEmpty
                else { throw QConvertError("\(Self.path):\(number + 1): expected 'excluded <group>/<case>: <reason>'") }
                entries.append(Entry(name: String(rest[..<colon]), exclusionReason: String(reason)))
            default:
                throw QConvertError("\(Self.path):\(number + 1): expected 'must-pass <group>/<case>' or 'excluded <group>/<case>: <reason>'")
            }
            if entries.dropLast().contains(where: { $0.name == entries.last!.name }) {
                throw QConvertError("\(Self.path):\(number + 1): \(entries.last!.name) is listed twice")
            }
        }
        self.entries = entries
    }

    /// The committed manifest.
    public static func load() throws -> ONNXBackendManifest {
        guard let bytes = FileChecks.read(path) else { throw QConvertError("\(path): cannot read") }
        return try ONNXBackendManifest(text: String(decoding: bytes, as: UTF8.self))
    }
}
