import QConvert

/// Where the CLI's text goes: results on stdout, errors and notes on stderr.
enum Terminal {
    /// One `error: ...` line, whatever newlines the message had.
    static func error(_ message: String) {
        StandardError.write("error: " + message.split(separator: "\n").joined(separator: " ") + "\n")
    }

    static func note(_ message: String) {
        StandardError.write(message + "\n")
    }
}
