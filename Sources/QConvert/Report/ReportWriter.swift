import QConvertIR
import QConvertONNX

/// Writes a report where `--report PATH` says, in the format its extension names, atomically (a
/// failure leaves no half-written file and the previous report, if any, untouched).
public enum ReportWriter {
    public enum Format: String, Sendable, CaseIterable {
        case json, markdown = "md", html
    }

    /// The format `path`'s extension names (`.json`, `.md`, `.html`; case-insensitive).
    public static func format(of path: String) throws -> Format {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let ext = name.split(separator: ".", omittingEmptySubsequences: false).dropFirst().last.map { $0.lowercased() }
        guard let ext, let format = Format(rawValue: ext == "htm" ? "html" : ext) else {
            throw QConvertError("\(path): unknown report format; name the file .json, .md or .html")
        }
        return format
    }

    /// The document in the format `path` names.
    public static func render(_ document: ReportDocument, for path: String) throws -> String {
        switch try format(of: path) {
        case .json: try JSONText.encode(document) + "\n"
        case .markdown: document.markdown
        case .html: document.html
        }
    }

    public static func write(_ document: ReportDocument, to path: String) throws {
        let text = try render(document, for: path)
        let file = try AtomicFile(destination: path)
        try file.write(Array(text.utf8))
        try file.commit()
    }

    /// Fails early, before any long work, on an unknown extension or an unwritable folder.
    public static func check(_ path: String) throws {
        _ = try format(of: path)
        try OutputPaths.checkWritable(path)
    }
}
