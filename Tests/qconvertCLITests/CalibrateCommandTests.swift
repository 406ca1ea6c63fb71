import QConvert
import QConvertONNX
import QConvertTestSupport
import Testing

/// `qconvert calibrate` and `qconvert merge-stats` end to end, through the built binary.
@Suite struct CalibrateCommandTests {
    static let twoInputs = Fixtures.root + "/calib/two_inputs"
    let temporary = TemporaryDirectories()

    @Test func calibratesAndWritesStatistics() throws {
        let out = temporary.make() + "/stats.json"
        let result = CLIRunner.run(["calibrate", Self.twoInputs + "/model.onnx", "--calib", Self.twoInputs + "/npz_deflated",
                                    "--samples", "2", "-o", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        // stderr is a file here, not a terminal: a summary line and no progress bar.
        // Preparation removes the Identity, so y_id is not there: x, y, x_relu, y_relu.
        #expect(result.stderr == "calibrated 4 tensors on 2 samples; wrote \(out)\n")
        let stats = try CalibrationStats.load(path: out)
        #expect(stats.sampleCount == 2 && stats.tensors["x"]?.max == 3)
        #expect(Set(stats.tensors.keys) == ["x", "y", "x_relu", "y_relu"])
        let prepared = try Preparation.run(ONNXReader.read(path: Self.twoInputs + "/model.onnx")).model
        try stats.check(against: prepared)
    }

    /// Statistics loaded from a file and samples held out of --calib: held-out samples the file
    /// was calibrated on are named, since their SQNR is not on unseen data; a file calibrated
    /// only on the others draws no warning.
    @Test func heldOutSamplesTheLoadedStatisticsSawAreWarnedOf() throws {
        let fixture = Fixtures.model("conv_bn_relu"), dir = temporary.make()
        for (name, samples) in [("all", "16"), ("first", "14")] {
            let calibrate = CLIRunner.run(["calibrate", fixture.modelPath, "--calib", fixture.directory + "/calib", "--samples", samples,
                                           "--quiet", "-o", dir + "/\(name).json"])
            #expect(calibrate.status == 0, "\(calibrate.stderr)")
            let quantize = CLIRunner.run([fixture.modelPath, "--load-stats", dir + "/\(name).json", "--calib", fixture.directory + "/calib",
                                          "--holdout", "2", "--quiet", "-o", dir + "/\(name).onnx"])
            #expect(quantize.status == 0, "\(quantize.stderr)")
            let warned = quantize.stdout.contains("warning: 2 of the held-out samples are among those the loaded statistics were calibrated on")
            #expect(warned == (name == "all"), "\(quantize.stdout)")
        }
    }

    @Test func quietPrintsNothing() {
        let out = temporary.make() + "/stats.json"
        let result = CLIRunner.run(["calibrate", Self.twoInputs + "/model.onnx", "--calib", Self.twoInputs + "/test_data",
                                    "--quiet", "-o", out])
        #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.isEmpty)
        #expect(FileChecks.exists(out))
    }

    @Test func mergeStatsEqualsTheLibraryMerge() throws {
        let dir = temporary.make()
        for (name, folder) in [("a", "npz_stored"), ("b", "test_data")] {
            let result = CLIRunner.run(["calibrate", Self.twoInputs + "/model.onnx", "--calib", Self.twoInputs + "/" + folder,
                                        "--quiet", "-o", dir + "/\(name).json"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let result = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/b.json", "-o", dir + "/all.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let parts = try [dir + "/a.json", dir + "/b.json"].map(CalibrationStats.load(path:))
        #expect(try CalibrationStats.load(path: dir + "/all.json") == CalibrationStats.merged(parts))
    }

    /// A copy of a shard merged with the shard itself counts its samples twice: said, not silent.
    @Test func mergeStatsWarnsAboutSharedSamples() throws {
        let dir = temporary.make()
        _ = CLIRunner.run(["calibrate", Self.twoInputs + "/model.onnx", "--calib", Self.twoInputs + "/test_data", "--quiet", "-o", dir + "/a.json"])
        FileChecks.write(try #require(FileChecks.read(dir + "/a.json")), to: dir + "/copy.json")
        let result = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/copy.json", "-o", dir + "/all.json"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: ") && result.stderr.contains("samples appear more than once"), "\(result.stderr)")
    }

    /// Shared samples are told by content, not path: two jobs that each read their own
    /// calib/0000.npy share none (this warned), and one folder named two ways shares all (this did not).
    @Test func mergeStatsJudgesSharedSamplesByContent() throws {
        let dir = temporary.make()
        let model = Fixtures.root + "/calib/single_input/model.onnx"
        var random = RandomTensors(seed: 11)
        for job in ["a", "b"] {
            _ = try Directory.create(dir + "/" + job)
            for k in 0..<2 { try Npy.write(random.normal([2, 3]), to: dir + "/\(job)/000\(k).npy") }
            let result = CLIRunner.run(["calibrate", model, "--calib", dir + "/" + job, "--quiet", "-o", dir + "/\(job).json"])
            #expect(result.status == 0, "\(result.stderr)")
            // As the job wrote it in its own working folder: `--calib calib`.
            let text = String(decoding: try #require(FileChecks.read(dir + "/\(job).json")), as: UTF8.self)
            FileChecks.write(Array(text.replacingOccurrences(of: dir + "/" + job + "/", with: "calib/").utf8), to: dir + "/\(job)-relative.json")
        }
        let apart = CLIRunner.run(["merge-stats", dir + "/a-relative.json", dir + "/b-relative.json", "-o", dir + "/ab.json"])
        #expect(apart.status == 0 && !apart.stderr.contains("warning"), "\(apart.stderr)")
        let again = CLIRunner.run(["calibrate", model, "--calib", dir + "/a/.", "--quiet", "-o", dir + "/a-again.json"])
        #expect(again.status == 0, "\(again.stderr)")
        let shared = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/a-again.json", "-o", dir + "/aa.json"])
        #expect(shared.status == 0 && shared.stderr.contains("warning: 2 samples appear more than once (first repeat: '\(dir)/a/./0000.npy')"), "\(shared.stderr)")
    }

    @Test func mergeStatsOfDifferentModelsFails() throws {
        let dir = temporary.make()
        let single = Fixtures.root + "/calib/single_input"
        _ = CLIRunner.run(["calibrate", Self.twoInputs + "/model.onnx", "--calib", Self.twoInputs + "/test_data", "--quiet", "-o", dir + "/a.json"])
        _ = CLIRunner.run(["calibrate", single + "/model.onnx", "--calib", single + "/split", "--quiet", "-o", dir + "/b.json"])
        let result = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/b.json", "-o", dir + "/all.json"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot merge \(dir)/a.json, \(dir)/b.json: statistics 2 are for another model"))
        #expect(!FileChecks.exists(dir + "/all.json"))
    }

    /// A statistics file missing one tensor (cut or edited) is refused where it is used, naming the
    /// file and the tensor; merging it with a whole one is refused too; so is a file given twice.
    @Test func incompleteOrRepeatedStatisticsAreRefused() throws {
        let dir = temporary.make()
        let model = Self.twoInputs + "/model.onnx"
        _ = CLIRunner.run(["calibrate", model, "--calib", Self.twoInputs + "/test_data", "--quiet", "-o", dir + "/a.json"])
        var cut = try CalibrationStats.load(path: dir + "/a.json")
        cut.tensors.removeValue(forKey: "y_relu")
        try cut.save(to: dir + "/cut.json")
        let load = CLIRunner.run([model, "--load-stats", dir + "/cut.json", "--quiet", "-o", dir + "/q.onnx"])
        #expect(load.status == 1)
        #expect(load.stderr == "error: \(dir)/cut.json: statistics have no histogram for tensor 'y_relu' of this model (the file is incomplete or was edited)\n")
        let merge = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/cut.json", "-o", dir + "/all.json"])
        #expect(merge.status == 1 && merge.stderr.contains("statistics 2 and the first do not both have tensor 'y_relu'"), "\(merge.stderr)")
        let twice = CLIRunner.run(["merge-stats", dir + "/a.json", dir + "/./a.json", "-o", dir + "/all.json"])
        #expect(twice.stderr == "error: \(dir)/./a.json: given twice; its samples would count twice\n")
        #expect(!FileChecks.exists(dir + "/all.json") && !FileChecks.exists(dir + "/q.onnx"))
    }

    @Test func flagsAreValidated() {
        let result = CLIRunner.run(["calibrate", "m.onnx", "--calib", "d", "--threads", "0", "-o", "s.json"])
        #expect(result.status != 0 && result.stderr.contains("--threads must be at least 1"))
    }
}
