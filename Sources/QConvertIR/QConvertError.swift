/// The one error type the library throws: a single line that names the file, node or tensor at fault.
///
/// Why one type: the CLI prints every failure as `error: <description>` and exits non-zero, so each
/// throw site is responsible for a message a user can act on, and nothing needs to pattern-match kinds.
public struct QConvertError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// Prefixes the message with where it happened (`"model.onnx: " + message`), once.
    public func context(_ prefix: String) -> QConvertError {
        description.hasPrefix(prefix + ": ") ? self : QConvertError("\(prefix): \(description)")
    }
}
