import QConvertTestSupport
import Testing

/// Argument mistakes are one `error:` line too (exit 64, ArgumentParser's usage status), naming the
/// flag; `--help` still prints the full help on stdout.
@Suite struct UsageErrorTests {
    let temporary = TemporaryDirectories()
    static let fixture = Fixtures.model("conv_bn_relu")

    @Test(arguments: [
        (["--threads", "0", "MODEL", "--calib", "CALIB"], "--threads must be at least 1"),
        (["MODEL", "--calib", "CALIB", "--weight-bits", "9"], "--weight-bits must be 7, 8 or auto"),
        (["MODEL", "--calib", "CALIB", "--target-sqnr", "nan"], "--target-sqnr must be a number of dB"),
        (["MODEL", "--calib", "CALIB", "--max-float-layers=-1"], "--max-float-layers must be 0 or more"),
        (["calibrate", "MODEL"], "Missing expected argument '--calib <dir>'"),
        (["MODEL", "--calib", "CALIB", "--no-such-flag"], "Unknown option '--no-such-flag'"),
        (["MODEL", "--calib", "CALIB", "--method", "mse", "--percentile", "99"], "--percentile applies to --method percentile"),
        // Flags that would do nothing in the mode asked for are refused, not ignored.
        (["MODEL", "--mode", "dynamic", "--save-stats", "s.json"], "--save-stats applies to --mode static"),
        (["MODEL", "--mode", "weight-only", "--calib", "CALIB", "--method", "entropy"], "--method applies to --mode static"),
        (["MODEL", "--calib", "CALIB", "--max-float-layers", "3"], "--max-float-layers limits --target-sqnr"),
        (["MODEL", "--calib", "CALIB", "--percentile", "101"], "--percentile must be above 50 and at most 100"),
        (["MODEL", "--calib", "CALIB", "--stop-after", "bogus"], "no pass named 'bogus'"),
        (["MODEL", "--calib", "CALIB", "--stop-after", "equalize-activations"], "no pass named 'equalize-activations'"),
        (["prepare", "MODEL", "--print-after", "equalize-activations"], "--print-after equalize-activations: that pass runs in quantize"),
        (["run", "MODEL", "x="], "input 'x=' names no file"),
        // A negative number is the option's value, checked as such (it read as a missing value).
        (["MODEL", "--calib", "CALIB", "--samples", "-1"], "--samples must be at least 1"),
        (["compare", "MODEL", "MODEL", "--data", "CALIB", "--local-samples", "-2"], "--local-samples must be 0 or more"),
        (["compare", "MODEL", "MODEL", "--data", "CALIB", "--threads", "-1"], "--threads must be at least 1"),
        // --data and --calib were one option under two names: the second given quietly won.
        (["compare", "MODEL", "MODEL", "--calib", "CALIB", "--data", "CALIB"], "both name the sample folder; give one"),
        (["compare", "MODEL", "MODEL"], "Missing expected argument '--data <dir>'"),
        (["MODEL", "--calib", "CALIB", "--method", "foo"], "--method must be auto, minmax, percentile, entropy, mse; got 'foo'"),
        (["MODEL", "--mode", "weight-only", "--activation-type", "int8"], "--activation-type applies to --mode static"),
        (["MODEL", "--mode", "dynamic", "--symmetric-activations"], "--symmetric-activations applies to --mode static"),
        (["MODEL", "--mode", "dynamic", "--integer-hardswish"], "--integer-hardswish applies to --mode static"),
        (["MODEL", "--mode", "weight-only", "--format", "qoperator"], "--format qoperator applies to --mode static; weight-only"),
        (["MODEL", "--mode", "dynamic", "--format", "qoperator"], "--format qoperator applies to --mode static; dynamic"),
        // Conflicts between calibration and scheme flags were found only after the model was read (exit 1).
        (["MODEL", "--mode", "dynamic", "--weight-rounding", "gptq"], "--weight-rounding gptq does not apply to --mode dynamic"),
        (["MODEL", "--mode", "weight-only", "--weight-rounding", "gptq"], "--weight-rounding gptq fits the weights to calibration samples: pass --calib DIR"),
        (["MODEL", "--calib", "CALIB", "--target-sqnr", "30", "--holdout", "0"], "--target-sqnr measures on held-out samples, and --holdout 0 holds none out"),
        // Sample flags without samples did nothing, in silence (--target-sqnr: exit 1 after the model was read).
        (["MODEL", "--mode", "weight-only", "--no-float-first-layers"], "--no-float-first-layers applies to --mode static; weight-only"),
        (["MODEL", "--mode", "dynamic", "--holdout", "3"], "--holdout chooses among the samples of --calib DIR, which is not given"),
        (["MODEL", "--mode", "weight-only", "--samples", "5"], "--samples chooses among the samples of --calib DIR, which is not given"),
        (["MODEL", "--load-stats", "stats.json", "--target-sqnr", "30"], "--target-sqnr measures on samples held out of --calib DIR, which is not given"),
        // An unset variable in -o "$OUT" is named as such, not blamed on the input model.
        (["MODEL", "--calib", "CALIB", "-o", ""], "--output needs a path, got an empty one"),
        (["prepare", "MODEL", "-o", ""], "--output needs a path, got an empty one"),
        // An empty model path was "error: : No such file or directory", naming nothing.
        (["", "--calib", "CALIB"], "<model> needs a path, got an empty one"),
        (["inspect", ""], "<model> needs a path, got an empty one"),
        (["compare", "MODEL", "", "--data", "CALIB"], "<quantized-model> needs a path, got an empty one"),
        (["merge-stats", "", "-o", "s.json"], "<inputs> needs a path, got an empty one"),
        // A mistyped subcommand is not taken for the model to quantize.
        (["inspec", "MODEL"], "no file 'inspec'; did you mean the subcommand 'inspect'?"),
        // `help` of an unknown name printed the general help and exited 0.
        (["help", "quantise"], "help quantise: no such subcommand (quantize, inspect, prepare, calibrate, merge-stats, compare, run, copy); did you mean 'quantize'?"),
        (["help", "bogus"], "help bogus: no such subcommand"),
    ])
    func oneLine(_ arguments: [String], _ words: String) {
        let expanded = arguments.map { $0 == "MODEL" ? Self.fixture.modelPath : $0 == "CALIB" ? Self.fixture.directory + "/calib" : $0 }
        let result = CLIRunner.run(expanded)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: ") && result.stderrLineCount == 1, "\(result.stderr)")
        #expect(result.stderr.contains(words), "\(result.stderr)")
    }

    /// A file whose name is not UTF-8 was looked for under Swift's decoded name (U+FFFD in place of
    /// the byte) and reported as "No such file or directory" even when it existed.
    @Test func nonUTF8PathIsNamedAsSuch() {
        let name = Array("caf".utf8) + [0xE9] + Array(".onnx".utf8)   // "café" in Latin-1
        let result = CLIRunner.run(bytes: [Array("inspect".utf8), name])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("error: argument 2 ('caf\u{FFFD}.onnx') is not valid UTF-8"), "\(result.stderr)")
    }

    @Test func helpIsNotAnError() {
        for arguments in [["quantize", "--help"], ["help", "quantize"]] {
            let result = CLIRunner.run(arguments)
            #expect(result.status == 0 && result.stderr.isEmpty && result.stdout.contains("--target-sqnr"), "\(arguments)")
        }
    }

    /// With --method auto, --percentile sets the percentile the search tries (it was ignored).
    @Test func autoTriesTheGivenPercentile() {
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "--percentile", "99.9",
                                    "-o", temporary.make() + "/q.onnx"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("percentile 99.9 ") && !result.stdout.contains("percentile 99.999"), "\(result.stdout)")
    }

    /// Method names are taken in any case, in the check and in the run alike.
    @Test func methodNameInAnyCase() {
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", Self.fixture.directory + "/calib", "--method", "Auto", "--quiet",
                                    "-o", temporary.make() + "/q.onnx"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Holding out every sample would leave none to calibrate: refused, not silently cut to fewer.
    @Test func holdoutOfEverySampleIsRefused() {
        let calib = Self.fixture.directory + "/calib"
        let result = CLIRunner.run([Self.fixture.modelPath, "--calib", calib, "--holdout", "16", "-o", "/tmp/qconvert-unwritten.onnx"])
        #expect(result.status == 1)
        #expect(result.stderr == "error: --holdout 16: \(calib) has 16 samples, so at most 15 can be held out (the rest calibrate)\n")
    }
}
