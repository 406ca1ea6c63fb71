import QConvert

/// Where the CLI's text goes: results on stdout, errors and notes on stderr.
enum Terminal {
    /// One `error: ...` line, whatever newlines the message had.
    static func error(_ message: String) {
        StandardError.write("error: " + printable(message.split(separator: "\n").joined(separator: " ")) + "\n")
    }

    /// `text` with control characters other than newline and tab shown as `?`: names come from
    /// model files, and an escape sequence in an op type must not recolour or rewrite the terminal.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            let v = scalar.value
            return (v < 0x20 && v != 0x0A && v != 0x09) || (0x7F...0x9F).contains(v) ? "?" : scalar
        }))
    }

    /// Text results on stdout, shown with `printable` (JSON needs nothing: its encoder escapes).
    static func output(_ text: String) {
        print(printable(text))
    }

    static func note(_ message: String) {
        StandardError.write(printable(message) + "\n")
    }
}
