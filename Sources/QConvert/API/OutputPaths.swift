#if canImport(Glibc)
import Glibc
#endif
import QConvertIR
import QConvertONNX

/// Rules every command that writes a file follows before it starts work, so a user's input is never
/// replaced (outputs themselves are written atomically by `AtomicFile`).
public enum OutputPaths {
    /// Refuses an output that is one of the inputs (same file, by device and inode, so `./m.onnx`
    /// and `m.onnx` or a hard link are caught too). `flag` is the option that chose the output.
    public static func checkNotAnInput(_ output: String, inputs: [String], flag: String = "-o") throws {
        if inputs.contains(where: { AtomicFile.isSameFile($0, output) }) {
            throw QConvertError("\(output): is an input file; refusing to overwrite it (choose another \(flag))")
        }
    }

    /// Refuses an output inside a folder the command reads every file of (a calibration folder):
    /// it could replace a sample, and any file added there stops the folder being a sample folder.
    /// `role` says which folder that is, in the message. An output that is a symbolic link is judged
    /// by the file it points at, which is where the write goes (`AtomicFile.followingLink`).
    public static func checkOutside(_ output: String, folder: String, role: String = "the calibration folder") throws {
        let target = (try? AtomicFile.followingLink(output)) ?? output
        guard let outputFolder = realPath(Self.folder(of: target)), let inputFolder = realPath(folder) else { return }
        if outputFolder == inputFolder || outputFolder.hasPrefix(inputFolder.hasSuffix("/") ? inputFolder : inputFolder + "/") {
            let link = target == output ? "" : " (a link to '\(target)')"
            throw QConvertError("\(output): is inside \(role) '\(folder)'\(link); write it elsewhere")
        }
    }

    /// Refuses a second output of a command that names the same file as another of its outputs
    /// (`role`: which one), as one would replace the other, whether or not the file exists yet.
    public static func checkDistinct(_ other: String, from output: String, role: String = "the model's output") throws {
        guard let a = realPath(Self.folder(of: other)), let b = realPath(Self.folder(of: output)) else { return }
        if a == b && Self.name(of: other) == Self.name(of: output) {
            throw QConvertError("\(other): is also \(role); choose another file")
        }
    }

    /// Fails early, before long work, when `output` could not be written: by creating (and at once
    /// removing) the temporary file the real write will use, so every cause the write would meet
    /// (missing or unwritable folder, a file where a folder should be, a name too long, a directory
    /// or device at `output`) is found now, not after the work.
    public static func checkWritable(_ output: String) throws {
        _ = try AtomicFile(destination: output)
    }

    /// `dir/model.onnx` -> `dir/model.<suffix>.onnx`, the default output name next to the input.
    public static func sibling(of input: String, suffix: String) -> String {
        var base = input
        if base.hasSuffix(".onnx") { base.removeLast(5) }
        return base + "." + suffix + ".onnx"
    }

    /// The folder holding `path` ("." for a bare name) and the last component.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
