#if canImport(Glibc)
import Glibc
#endif
import QConvertIR

/// Unbuffered writes to stderr, where progress, notes and errors go (results go to stdout).
///
/// Why not `fputs(stderr)`: the C global is shared mutable state to Swift 6; file descriptor 2 is not.
public enum StandardError {
    public static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Whether stderr is a terminal (progress bars are drawn only then).
    public static var isTerminal: Bool { isatty(2) != 0 }
}

/// The CLI's results go through `print` (C stdio's buffered stdout).
public enum StandardOutput {
    /// Flushes stdout; an error (a full disk, a file-size limit) from this flush or an earlier one
    /// is thrown, so a script reading `--json` never sees success for output that was lost. (A closed
    /// pipe ends the process by SIGPIPE first, which the shell reports as a failure anyway.)
    public static func finish() throws {
        errno = 0
        if fflush(stdout) != 0 || ferror(stdout) != 0 {
            throw QConvertError("cannot write to standard output" + (errno != 0 ? ": \(String(cString: strerror(errno)))" : ""))
        }
    }
}
