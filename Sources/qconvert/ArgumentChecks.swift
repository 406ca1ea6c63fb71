import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Refuses an empty path argument up front (an unset variable in `-o "$OUT"`): otherwise the
/// failure to write '' would come later, prefixed with the input model's name as if it were to blame.
func requireNonEmpty(_ paths: [(flag: String, path: String?)]) throws {
    if let empty = paths.first(where: { $0.path?.isEmpty == true }) {
        throw ValidationError("\(empty.flag) needs a path, got an empty one")
    }
}

/// `qconvert inspec m.onnx` would otherwise take 'inspec' as the model to quantize and complain
/// about --calib: a missing "model" one or two typos away from a subcommand's name is named as such.
func requireNotAMistypedSubcommand(_ model: String) throws {
    guard access(model, F_OK) != 0 else { return }
    if let name = nearestSubcommand(to: model) {
        throw ValidationError("no file '\(model)'; did you mean the subcommand '\(name)'?")
    }
}

/// The subcommands' names, in the order `qconvert help` lists them.
private var subcommandNames: [String] {
    QConvertCommand.configuration.subcommands.compactMap { $0.configuration.commandName }
}

/// A subcommand one or two typos away from `word`, if any.
private func nearestSubcommand(to word: String) -> String? {
    subcommandNames.first { editDistance($0, word.lowercased()) <= 2 }
}

/// `qconvert help NAME` for a NAME that is no subcommand printed the general help and exited 0
/// (ArgumentParser's way), so a script asking for `help quantise` saw success: an error instead,
/// with the nearest subcommand when one is close.
func requireKnownHelpTopic(_ arguments: [String]) throws {
    guard arguments.count >= 2, arguments[0] == "help", !arguments[1].hasPrefix("-") else { return }
    let topic = arguments[1]
    guard !subcommandNames.contains(topic) else { return }
    let hint = nearestSubcommand(to: topic).map { "; did you mean '\($0)'?" } ?? ""
    throw ValidationError("help \(topic): no such subcommand (\(subcommandNames.joined(separator: ", ")))\(hint)")
}

/// Swift decodes the command line as UTF-8 and puts U+FFFD in place of bytes that are not, so a
/// file named in another encoding (Latin-1, from an old archive) was looked for under a name that
/// does not exist and reported missing: refused up front, saying why.
func requireUTF8Arguments() throws {
    for index in 1..<Int(CommandLine.argc) {
        guard let raw = CommandLine.unsafeArgv[index] else { continue }
        let bytes = UnsafeBufferPointer(start: raw, count: strlen(raw)).map { UInt8(bitPattern: $0) }
        guard String(validating: bytes, as: UTF8.self) == nil else { continue }
        throw ValidationError("argument \(index) ('\(String(decoding: bytes, as: UTF8.self))') is not valid UTF-8; "
                              + "qconvert takes UTF-8 paths only: rename the file or link to it under a UTF-8 name")
    }
}

/// Levenshtein distance: single-character insertions, deletions and substitutions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
