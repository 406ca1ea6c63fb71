#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `qconvert` executable the way a user would, capturing stdout, stderr and the exit
/// status, for tests of the command line (argument parsing, one-line errors, exit codes, files
/// written or not).
///
/// The binary is `$QCONVERT_BIN` if set, else `qconvert` next to the test executable (SwiftPM puts
/// both in `.build/<config>/`; the CLI test target depends on the executable so it is built first).
public enum CLIRunner {
    /// What a run produced. `status` is the exit code, or 128 + signal if the process was killed.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// Lines written to stderr: a failure must be exactly one (`error: ...`).
        public var stderrLineCount: Int { stderr.filter { $0 == "\n" }.count }
    }

    public static var binary: String {
        if let path = getenv("QCONVERT_BIN") { return String(cString: path) }
        let me = CommandLine.arguments[0]
        let folder = me.lastIndex(of: "/").map { String(me[..<$0]) } ?? "."
        return folder + "/qconvert"
    }

    /// Runs `qconvert arguments...` (stdin from /dev/null) and waits for it.
    public static func run(_ arguments: [String]) -> Result {
        spawn(binary, [binary] + arguments)
    }

    /// Runs `qconvert` with arguments given as raw bytes, which a Swift String cannot hold when
    /// they are not UTF-8 (a Latin-1 file name).
    public static func run(bytes arguments: [[UInt8]]) -> Result {
        spawn(binary, [Array(binary.utf8)] + arguments)
    }

    /// Runs `qconvert arguments...` with every file it writes limited to `blocks` × 512 bytes, as
    /// if the disk filled up (`ulimit -f`). qconvert ignores the SIGXFSZ this raises, so a write
    /// past the limit fails with EFBIG the way a full disk fails with ENOSPC.
    public static func run(_ arguments: [String], fileSizeLimitBlocks blocks: Int) -> Result {
        spawn("/bin/sh", ["/bin/sh", "-c", "ulimit -f \(blocks); exec \"$0\" \"$@\"", binary] + arguments)
    }

    /// Runs `qconvert arguments...` and sends it `signal` as soon as `ready()` (polled every 0.1 ms)
    /// says so, as a user pressing Ctrl-C at that moment would.
    public static func run(_ arguments: [String], interruptedBy signal: Int32, when ready: () -> Bool) -> Result {
        withoutActuallyEscaping(ready) { spawn(binary, [binary] + arguments, interrupt: (signal, $0)) }
    }

    private static func spawn(_ program: String, _ arguments: [String], interrupt: (signal: Int32, ready: () -> Bool)? = nil) -> Result {
        spawn(program, arguments.map { Array($0.utf8) }, interrupt: interrupt)
    }

    /// Spawns `program` with `arguments` (argv, starting with argv[0]) and collects what it printed.
    private static func spawn(_ program: String, _ arguments: [[UInt8]], interrupt: (signal: Int32, ready: () -> Bool)? = nil) -> Result {
        let scratch = FileChecks.temporaryDirectory("qconvert-cli")
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { bytes in
            (bytes + [0]).withUnsafeBufferPointer { strdup(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) }
        } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        // A shell's child starts with no signal blocked or ignored; a test thread may block some
        // (the process would then never see the signal `interrupt` sends).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let spawned = posix_spawn(&pid, program, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            return Result(status: -1, stdout: "", stderr: "cannot run \(program): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        if let interrupt {
            while waitpid(pid, &status, WNOHANG) == 0 {
                if interrupt.ready() {
                    kill(pid, interrupt.signal)
                    break
                }
                usleep(100)
            }
        }
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let text = { (path: String) in String(decoding: FileChecks.read(path) ?? [], as: UTF8.self) }
        defer {
            unlink(outPath)
            unlink(errPath)
            rmdir(scratch)
        }
        return Result(status: code, stdout: text(outPath), stderr: text(errPath))
    }
}
