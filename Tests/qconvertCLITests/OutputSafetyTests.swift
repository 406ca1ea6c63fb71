#if canImport(Glibc)
import Glibc
#endif
import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport
import Testing

/// Issue 9, outputs: every command that writes refuses to replace its input, and a destination it
/// cannot write (a device, a read-only or missing folder, a disk filling up mid-write) is one
/// `error:` line with nothing left behind, not even a temporary file.
@Suite struct OutputSafetyTests {
    let temporary = TemporaryDirectories()
    static let fixture = Fixtures.model("gemm_relu")

    /// A writing command, run in a fresh folder holding a copy of the fixture model (`MODEL`) and of
    /// a statistics file (`STATS`); `OUT` is where it is told to write.
    struct Command: CustomStringConvertible, Sendable {
        let description: String
        let arguments: [String]
        /// Which placeholder names the input the command reads (what `-o` must not replace).
        var input = "MODEL"
    }

    static let commands: [Command] = [
        Command(description: "quantize", arguments: ["MODEL", "--calib", fixture.directory + "/calib", "--quiet", "-o", "OUT"]),
        Command(description: "quantize --save-stats",
                arguments: ["MODEL", "--calib", fixture.directory + "/calib", "--quiet", "-o", "WORK/q.onnx", "--save-stats", "OUT"]),
        Command(description: "calibrate", arguments: ["calibrate", "MODEL", "--calib", fixture.directory + "/calib", "--quiet", "-o", "OUT"]),
        Command(description: "merge-stats", arguments: ["merge-stats", "STATS", "-o", "OUT"], input: "STATS"),
        Command(description: "prepare", arguments: ["prepare", "MODEL", "-o", "OUT"]),
        Command(description: "copy", arguments: ["copy", "MODEL", "-o", "OUT"]),
        Command(description: "copy --external-data always", arguments: ["copy", "MODEL", "-o", "OUT", "--external-data", "always"]),
        Command(description: "prepare --external-data always", arguments: ["prepare", "MODEL", "-o", "OUT", "--external-data", "always"]),
    ]

    /// A fresh folder with MODEL and STATS in it.
    func workFolder() throws -> String {
        let work = temporary.make()
        FileChecks.write(try #require(FileChecks.read(Self.fixture.modelPath)), to: work + "/model.onnx")
        let made = CLIRunner.run(["calibrate", work + "/model.onnx", "--calib", Self.fixture.directory + "/calib", "--quiet",
                                  "-o", work + "/stats.json"])
        #expect(made.status == 0, "\(made.stderr)")
        return work
    }

    func arguments(_ command: Command, work: String, output: String) -> [String] {
        command.arguments.map { argument in
            switch argument {
            case "MODEL": work + "/model.onnx"
            case "STATS": work + "/stats.json"
            case "OUT": output
            default: argument.replacingPrefix("WORK/", with: work + "/")
            }
        }
    }

    /// Every file in `folder` with its bytes.
    func snapshot(_ folder: String) throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for name in try Directory.entries(folder) { files[name] = FileChecks.read(folder + "/" + name) ?? [] }
        return files
    }

    /// Checks the failure contract: exit 1, nothing on stdout, one `error:` line containing `words`.
    func expectOneLineError(_ result: CLIRunner.Result, _ words: String, _ command: CustomStringConvertible) {
        #expect(result.status == 1, "\(command): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(command)")
        #expect(result.stderr.hasPrefix("error: ") && result.stderrLineCount == 1, "\(command): \(result.stderr)")
        #expect(result.stderr.contains(words), "\(command): \(result.stderr)")
    }

    @Test(arguments: commands)
    func outputThatIsTheInputIsRefused(_ command: Command) throws {
        let work = try workFolder()
        let before = try snapshot(work)
        let input = arguments(command, work: work, output: "")[command.arguments.firstIndex(of: command.input)!]
        // Spelled differently from the input argument: the check compares files, not strings.
        let output = work + "/./" + input.split(separator: "/").last!
        expectOneLineError(CLIRunner.run(arguments(command, work: work, output: output)), "is an input file; refusing to overwrite it", command)
        #expect(try snapshot(work) == before, "\(command) changed its folder")
    }

    /// A device, a read-only file system (/sys, even for root) and a folder that is a file.
    @Test(arguments: commands, ["/dev/full", "/sys/qconvert-test-output", "WORK/model.onnx/out"])
    func unwritableDestination(_ command: Command, destination: String) throws {
        let work = try workFolder()
        let before = try snapshot(work)
        let output = destination.replacingPrefix("WORK/", with: work + "/")
        expectOneLineError(CLIRunner.run(arguments(command, work: work, output: output)), output, command)
        #expect(try snapshot(work) == before, "\(command) left something behind")
        #expect(!FileChecks.exists("/sys/qconvert-test-output"))
    }

    /// The disk fills up while the output is written (every file capped at 512 bytes; each output
    /// here is larger): the temporary file is removed and no output appears.
    @Test(arguments: commands)
    func diskFullWhileWriting(_ command: Command) throws {
        let work = try workFolder()
        let before = try snapshot(work)
        let result = CLIRunner.run(arguments(command, work: work, output: work + "/out"), fileSizeLimitBlocks: 1)
        expectOneLineError(result, "File too large", command)
        #expect(try snapshot(work) == before, "\(command) left something behind")
    }

    /// A successful write leaves the output (and its data file) and nothing else.
    @Test(arguments: commands)
    func successLeavesOnlyTheOutputs(_ command: Command) throws {
        let work = try workFolder()
        let before = Set(try Directory.entries(work))
        let result = CLIRunner.run(arguments(command, work: work, output: work + "/out.onnx"))
        #expect(result.status == 0, "\(command): \(result.stderr)")
        let expected: Set<String> = switch command.description {
        case "quantize --save-stats": ["out.onnx", "q.onnx"]
        case "copy --external-data always", "prepare --external-data always": ["out.onnx", "out.data"]
        default: ["out.onnx"]
        }
        #expect(Set(try Directory.entries(work)).subtracting(before) == expected, "\(command)")
    }

    @Test func saveStatsOnTheModelOutputIsRefused() throws {
        let work = try workFolder()
        let before = try snapshot(work)
        let result = CLIRunner.run([work + "/model.onnx", "--calib", Self.fixture.directory + "/calib", "--quiet",
                                    "-o", work + "/q.onnx", "--save-stats", work + "/./q.onnx"])
        expectOneLineError(result, "is also the model's output", "quantize --save-stats")
        #expect(try snapshot(work) == before)
    }

    /// Statistics are saved with the model, not when calibration ends: here calibration succeeds
    /// (its observers skip non-finite values) but the first sample's float output overflows, which
    /// the range search stops at, so the run fails and neither file may be left.
    @Test func failureAfterCalibrationLeavesNoStatistics() throws {
        let fixture = Fixtures.model("conv_bn_relu")
        let work = temporary.make(), calib = work + "/calib"
        try Directory.create(calib)
        let names = try Directory.entries(fixture.directory + "/calib").sorted()
        for name in names {
            FileChecks.write(try #require(FileChecks.read(fixture.directory + "/calib/" + name)), to: calib + "/" + name)
        }
        let first = try Npy.read(path: calib + "/" + names[0])
        try Npy.write(Tensor(shape: first.shape, scalars: [Float](repeating: 1e38, count: first.count)), to: calib + "/" + names[0])
        let result = CLIRunner.run([fixture.modelPath, "--calib", calib, "--quiet", "-o", work + "/q.onnx", "--save-stats", work + "/s.json"])
        expectOneLineError(result, "holds NaN or infinity", "quantize --save-stats")
        #expect(!FileChecks.exists(work + "/s.json") && !FileChecks.exists(work + "/q.onnx"))
    }

    /// The statistics are staged before the model is written and put in place after it: when the
    /// model's write fails (its external data file's path is taken by a folder), an existing
    /// statistics file keeps its bytes and no temporary file is left.
    @Test func failedModelWriteKeepsTheOldStatistics() throws {
        let work = try workFolder()
        try Directory.create(work + "/q.data")
        FileChecks.write(Array("old".utf8), to: work + "/s.json")
        let before = try snapshot(work)
        let result = CLIRunner.run([work + "/model.onnx", "--calib", Self.fixture.directory + "/calib", "--quiet", "-o", work + "/q.onnx",
                                    "--external-data", "always", "--save-stats", work + "/s.json"])
        #expect(result.status == 1 && result.stderr.hasPrefix("error: ") && result.stderrLineCount == 1, "\(result.stderr)")
        #expect(try snapshot(work) == before)
    }

    /// The second outputs (--report, --save-stats) and the --config file follow the same rules as
    /// `-o`, and a report that could not be written is found before the model is: nothing is left.
    @Test(arguments: [
        (["--config", "WORK/config.json", "-o", "WORK/config.json"], "config.json: is an input file"),
        (["--config", "WORK/config.json", "--report", "WORK/config.json"], "config.json: is an input file"),
        (["--save-stats", "WORK/r.json", "--report", "WORK/r.json"], "is also the statistics file"),
        (["--report", "CALIB/r.json"], "is inside the calibration folder"),
        (["--report", "WORK/r.json", "--holdout", "0"], "no report to write"),
        (["--report", "WORK/model.onnx/r.md"], "Not a directory"),
    ])
    func secondOutputsAreCheckedBeforeAnyWork(_ extra: [String], _ words: String) throws {
        let work = try workFolder()
        FileChecks.write(Array(#"{"op_types": {"Gemm": {"per_channel": false}}}"#.utf8), to: work + "/config.json")
        let before = try snapshot(work)
        let calib = Self.fixture.directory + "/calib"
        let expanded = extra.map { $0.replacingPrefix("WORK/", with: work + "/").replacingPrefix("CALIB/", with: calib + "/") }
        let output = expanded.contains("-o") ? [] : ["-o", work + "/q.onnx"]
        expectOneLineError(CLIRunner.run([work + "/model.onnx", "--calib", calib, "--quiet"] + output + expanded), words, extra)
        #expect(try snapshot(work) == before)
        #expect(!FileChecks.exists(calib + "/r.json"))
    }

    /// `-o` naming a symbolic link writes the file it points at; the link stays a link. (A link to
    /// nothing is refused, as `cp` refuses to write through one.)
    @Test func outputThroughASymbolicLink() throws {
        let work = try workFolder()
        FileChecks.write(Array("old".utf8), to: work + "/target.onnx")
        #expect(symlink("target.onnx", work + "/link.onnx") == 0)
        let result = CLIRunner.run(["copy", work + "/model.onnx", "-o", work + "/link.onnx"])
        #expect(result.status == 0, "\(result.stderr)")
        var info = stat()
        #expect(lstat(work + "/link.onnx", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
        #expect(CLIRunner.run(["copy", work + "/model.onnx", "-o", work + "/plain.onnx"]).status == 0)
        let same = FileChecks.read(work + "/target.onnx") == FileChecks.read(work + "/plain.onnx")
        #expect(same)
    }

    /// Statistics written among the samples would replace one or stop the folder being read.
    @Test func outputInsideTheCalibrationFolderIsRefused() throws {
        let work = try workFolder()
        let calib = work + "/calib"
        try Directory.create(calib)
        for name in try Directory.entries(Self.fixture.directory + "/calib") {
            FileChecks.write(try #require(FileChecks.read(Self.fixture.directory + "/calib/" + name)), to: calib + "/" + name)
        }
        let before = try snapshot(calib)
        let result = CLIRunner.run(["calibrate", work + "/model.onnx", "--calib", calib, "--quiet", "-o", calib + "/0000.npy"])
        expectOneLineError(result, "is inside the calibration folder", "calibrate")
        #expect(try snapshot(calib) == before)
    }

    /// A link named as an output but leading into the calibration folder: the write would go through
    /// it onto a sample, so it is refused like a path inside the folder (the model, its external data
    /// file and the report each checked; `link` is the one link made, in the work folder).
    @Test(arguments: [(["-o", "WORK/link.onnx"], "link.onnx"), (["-o", "WORK/q.onnx", "--external-data", "always"], "q.data"),
                      (["-o", "WORK/q.onnx", "--report", "WORK/link.json"], "link.json")])
    func outputLinkIntoTheCalibrationFolderIsRefused(_ flags: [String], link: String) throws {
        let work = try workFolder()
        let calib = work + "/calib"
        try Directory.create(calib)
        for name in try Directory.entries(Self.fixture.directory + "/calib") {
            FileChecks.write(try #require(FileChecks.read(Self.fixture.directory + "/calib/" + name)), to: calib + "/" + name)
        }
        let sample = try #require(try Directory.entries(calib).first)
        #expect(symlink("calib/" + sample, work + "/" + link) == 0)
        let before = try snapshot(calib)
        let arguments = flags.map { $0.replacingPrefix("WORK/", with: work + "/") }
        let result = CLIRunner.run([work + "/model.onnx", "--calib", calib, "--quiet"] + arguments)
        expectOneLineError(result, "\(work)/\(link): is inside the calibration folder", arguments.joined(separator: " "))
        #expect(try snapshot(calib) == before)
    }

    /// `-o` a link into another folder with external data: refused before anything is written, since
    /// the model would open without its data from one of the two folders (quantize wrote the target,
    /// then failed reading the model back through the link). A link within its folder writes.
    @Test func externalDataThroughALinkIntoAnotherFolderIsRefused() throws {
        let work = try workFolder()
        try Directory.create(work + "/a")
        try Directory.create(work + "/b")
        #expect(symlink("../b/real.onnx", work + "/a/link.onnx") == 0)
        FileChecks.write(Array("old".utf8), to: work + "/b/real.onnx")
        let result = CLIRunner.run(["copy", work + "/model.onnx", "-o", work + "/a/link.onnx", "--external-data", "always"])
        expectOneLineError(result, "\(work)/a/link.onnx: is a symbolic link into another folder (to \(work)/b/real.onnx)", "copy")
        #expect(FileChecks.read(work + "/b/real.onnx") == Array("old".utf8))
        #expect(!FileChecks.exists(work + "/b/real.data") && !FileChecks.exists(work + "/a/link.data"))
        #expect(symlink("real.onnx", work + "/b/near.onnx") == 0)
        let near = CLIRunner.run(["copy", work + "/model.onnx", "-o", work + "/b/near.onnx", "--external-data", "always"])
        #expect(near.status == 0, "\(near.stderr)")
        for opened in ["near.onnx", "real.onnx"] {
            let inspect = CLIRunner.run(["inspect", work + "/b/" + opened])
            #expect(inspect.status == 0, "\(inspect.stderr)")
        }
    }

    /// The statistics or the report written onto the input model's external data file (an input,
    /// known once the model is read), or onto the data file of the model being written: refused.
    /// (`--report` goes through the same check; its names end in .json, .md or .html.)
    @Test(arguments: [(["--save-stats", "WORK/model.data"], "is an input file"),
                      (["--save-stats", "WORK/q.data", "--external-data", "always"], "is also the model's external data file")])
    func secondOutputOnAnExternalDataFileIsRefused(_ flags: [String], _ words: String) throws {
        let work = temporary.make()
        let source = Fixtures.model("external_data")
        for name in ["model.onnx", "model.data"] {
            FileChecks.write(try #require(FileChecks.read(source.directory + "/" + name)), to: work + "/" + name)
        }
        let before = try snapshot(work)
        let arguments = flags.map { $0.replacingPrefix("WORK/", with: work + "/") }
        let result = CLIRunner.run([work + "/model.onnx", "--calib", source.directory + "/calib", "--quiet", "-o", work + "/q.onnx"] + arguments)
        expectOneLineError(result, words, arguments.joined(separator: " "))
        #expect(try snapshot(work) == before)
    }

    /// The input model renamed away from its data file `model.data`: a copy named model.onnx with
    /// external data would put its weights in model.data, which the input reads from.
    @Test func externalDataFileOfTheInputIsNotReplaced() throws {
        let work = temporary.make()
        let source = Fixtures.model("external_data").directory
        FileChecks.write(try #require(FileChecks.read(source + "/model.onnx")), to: work + "/renamed.onnx")
        FileChecks.write(try #require(FileChecks.read(source + "/model.data")), to: work + "/model.data")
        let before = try snapshot(work)
        let result = CLIRunner.run(["copy", work + "/renamed.onnx", "-o", work + "/model.onnx", "--external-data", "always"])
        expectOneLineError(result, "model.data: is an input file", "copy --external-data always")
        #expect(try snapshot(work) == before)
    }

    /// `run` writes DIR/<output>.npy per output; depthwise_conv's output is `output`, so with
    /// `-o` the folder of an input named output.npy the input would be replaced.
    @Test func runOutputThatIsAnInputIsRefused() throws {
        let work = temporary.make()
        let model = Fixtures.model("depthwise_conv")
        FileChecks.write(try #require(FileChecks.read(model.directory + "/input_0.npy")), to: work + "/output.npy")
        let before = try snapshot(work)
        let result = CLIRunner.run(["run", model.modelPath, work + "/output.npy", "-o", work])
        expectOneLineError(result, "output.npy: is an input file", "run")
        #expect(try snapshot(work) == before)
    }

    /// `-o` naming a device, a read-only file system or a file: no folder to write into.
    @Test(arguments: ["/dev/full", "/sys/qconvert-test-output", "WORK/input.npy"])
    func runUnwritableFolder(destination: String) throws {
        let work = temporary.make()
        let model = Fixtures.model("depthwise_conv")
        FileChecks.write(try #require(FileChecks.read(model.directory + "/input_0.npy")), to: work + "/input.npy")
        let before = try snapshot(work)
        let output = destination.replacingPrefix("WORK/", with: work + "/")
        expectOneLineError(CLIRunner.run(["run", model.modelPath, work + "/input.npy", "-o", output]), output, "run")
        #expect(try snapshot(work) == before)
    }

    /// Interrupted (Ctrl-C, or `kill`) while the output is being written: the process ends by that
    /// signal and its temporary file goes with it. The model is 100 MB so the write lasts long enough
    /// to be caught in the middle (should the rename win the race, the complete output is all there is).
    @Test(arguments: [SIGINT, SIGTERM])
    func interruptedWhileWritingLeavesNothing(signal: Int32) throws {
        let work = temporary.make()
        var graph = Graph(name: "big")
        graph.inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(25_000_000)])]
        graph.initializers["w"] = Tensor(shape: [25_000_000], scalars: [Float](repeating: 1, count: 25_000_000))
        graph.nodes = [Node(name: "add", opType: "Add", inputs: ["x", "w"], outputs: ["y"])]
        graph.outputs = [ValueInfo(name: "y")]
        try ONNXWriter.write(Model(graph: graph), to: work + "/big.onnx")
        let before = Set(try Directory.entries(work))
        var sawTemporary = false
        let result = CLIRunner.run(["copy", work + "/big.onnx", "-o", work + "/out.onnx"], interruptedBy: signal) {
            sawTemporary = ((try? Directory.entries(work)) ?? []).contains { $0.hasPrefix(".out.onnx.tmp-") }
            return sawTemporary
        }
        #expect(sawTemporary, "the write was not caught in progress")
        let after = Set(try Directory.entries(work))
        if result.status == 0 {
            #expect(after == before.union(["out.onnx"]), "left behind: \(after.subtracting(before))")
        } else {
            #expect(result.status == 128 + signal, "\(result.stderr)")
            #expect(after == before, "left behind: \(after.subtracting(before))")
        }
    }

    /// Replacing an existing output keeps its permission bits (the rename used to make a private
    /// 0600 file 0644, and a shared 0666 one 0644 under umask 022).
    @Test(arguments: [0o600, 0o666] as [mode_t])
    func replacedOutputKeepsItsPermissions(mode: mode_t) throws {
        let work = try workFolder()
        FileChecks.write([0], to: work + "/out.onnx")
        chmod(work + "/out.onnx", mode)
        #expect(CLIRunner.run(["copy", work + "/model.onnx", "-o", work + "/out.onnx"]).status == 0)
        var info = stat()
        #expect(stat(work + "/out.onnx", &info) == 0 && info.st_mode & 0o777 == mode)
    }

    /// Results on stdout that cannot be written (here: past the file-size limit) are an error, so a
    /// script reading `--json` never takes a truncated document for success.
    @Test func unwritableStandardOutputIsAnError() {
        let result = CLIRunner.run(["inspect", Self.fixture.modelPath, "--json"], fileSizeLimitBlocks: 1)
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: cannot write to standard output"), "\(result.stderr)")
    }

    /// An output whose file name the system refuses (300 characters): nothing is written, and the
    /// folders `run` made for the outputs are removed again.
    @Test func runFailureRemovesTheFoldersItMade() throws {
        let work = temporary.make()
        var graph = Graph(name: "long")
        graph.inputs = [ValueInfo(name: "x", elementType: .float, shape: [.value(2)])]
        let long = String(repeating: "y", count: 300)
        graph.outputs = [ValueInfo(name: "a"), ValueInfo(name: long)]
        graph.nodes = [Node(opType: "Relu", inputs: ["x"], outputs: ["a"]), Node(opType: "Neg", inputs: ["x"], outputs: [long])]
        try ONNXWriter.write(Model(graph: graph), to: work + "/m.onnx")
        try Npy.write(Tensor(shape: [2], scalars: [Float(1), -1]), to: work + "/x.npy")
        let before = try snapshot(work)
        let result = CLIRunner.run(["run", work + "/m.onnx", work + "/x.npy", "-o", work + "/new/outputs"])
        expectOneLineError(result, "File name too long", "run")
        #expect(try snapshot(work) == before)
        #expect(!Directory.exists(work + "/new"))
    }

    /// The output (9 KB) cannot be written whole: no output.npy and no temporary file remain.
    @Test func runDiskFullWhileWriting() throws {
        let work = temporary.make()
        let model = Fixtures.model("depthwise_conv")
        let result = CLIRunner.run(["run", model.modelPath, model.directory + "/input_0.npy", "-o", work], fileSizeLimitBlocks: 1)
        expectOneLineError(result, "File too large", "run")
        #expect(try Directory.entries(work).isEmpty)
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
