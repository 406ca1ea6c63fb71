#if canImport(Glibc)
import Glibc
#endif
import QConvertIR

/// Rules every command that writes a file follows before it starts work.
public enum OutputPaths {
    /// Refuses an output that is one of the inputs (same file, by device and inode, so `./m.onnx`
    /// and `m.onnx` or a hard link are caught too): a user's model is never overwritten.
    public static func checkNotAnInput(_ output: String, inputs: [String]) throws {
        var outInfo = stat()
        guard stat(output, &outInfo) == 0 else { return }
        for input in inputs {
            var inInfo = stat()
            if stat(input, &inInfo) == 0, inInfo.st_dev == outInfo.st_dev, inInfo.st_ino == outInfo.st_ino {
                throw QConvertError("\(output): is the input file; refusing to overwrite it (choose another -o)")
            }
        }
    }

    /// Fails early, before long work, when `output`'s folder does not exist or cannot be written, or
    /// `output` names something that is not a regular file.
    public static func checkWritable(_ output: String) throws {
        var info = stat()
        if stat(output, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { throw QConvertError("\(output): is a directory; give a file name to write") }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw QConvertError("\(output): not a regular file; refusing to replace it") }
        }
        let folder = output.lastIndex(of: "/").map { $0 == output.startIndex ? "/" : String(output[..<$0]) } ?? "."
        guard access(folder, W_OK) == 0 else {
            throw QConvertError("\(output): cannot write to folder '\(folder)': \(String(cString: strerror(errno)))")
        }
    }

    /// `dir/model.onnx` -> `dir/model.<suffix>.onnx`, the default output name next to the input.
    public static func sibling(of input: String, suffix: String) -> String {
        var base = input
        if base.hasSuffix(".onnx") { base.removeLast(5) }
        return base + "." + suffix + ".onnx"
    }
}
