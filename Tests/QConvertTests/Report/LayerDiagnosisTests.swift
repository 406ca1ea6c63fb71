#if canImport(Glibc)
import Glibc
#endif
import QConvert
import QConvertIR
import Testing

/// The diagnosis rules on hand-built rows: each fires on its evidence past its threshold, stays
/// quiet below it, and the more specific cause wins when several hold.
@Suite struct LayerDiagnosisTests {
    func row(_ configure: (inout LayerReport.Row) -> Void = { _ in }) -> LayerReport.Row {
        var row = LayerReport.Row(node: "conv_3", opType: "Conv", output: "y")
        configure(&row)
        return row
    }

    func figures(_ sqnr: Double) -> LayerReport.Figures {
        var error = TensorError()
        // signal 1, noise 10^(-sqnr/10): an error of exactly `sqnr` dB.
        error.add(1, 1 - Float(pow(10, -sqnr / 20)))
        return LayerReport.Figures(error)
    }

    @Test func saturation() throws {
        let finding = try #require(LayerDiagnosis.diagnose(row { $0.saturationPercent = 2.5 }))
        #expect(finding.reason == "saturates: 2.5% of values clipped at the grid's ends")
        #expect(finding.suggestion.contains("--method minmax"))
        #expect(LayerDiagnosis.diagnose(row { $0.saturationPercent = 0.4 }) == nil)
        // Under minmax the range covered every calibration value: suggesting minmax would be circular.
        let underMinMax = try #require(LayerDiagnosis.diagnose(row { $0.saturationPercent = 2.5 }, method: "minmax"))
        #expect(underMinMax.suggestion.hasPrefix("the calibration samples never reached these values") && !underMinMax.suggestion.contains("--method minmax"))
    }

    @Test func outliersSuggestClippingUnlessAlreadyClipped() throws {
        let outliers = row { $0.evidence.outlierPercent = 0.004 }
        let minmax = try #require(LayerDiagnosis.diagnose(outliers, method: "minmax"))
        #expect(minmax.reason.hasPrefix("range dominated by outliers: 0.0040% of values set the scale"))
        #expect(minmax.suggestion == "clip the range: --method percentile or mse")
        let percentile = try #require(LayerDiagnosis.diagnose(outliers, method: "percentile 99.999"))
        #expect(percentile.suggestion.contains("lower --percentile") && percentile.suggestion.contains("--exclude conv_3"))
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.outlierPercent = 3 }) == nil)
    }

    /// `compare` on another tool's model: the same reasons, fixes in words rather than qconvert's flags.
    @Test func anotherToolsModelGetsFixesWithoutFlags() throws {
        let rows = [row { $0.saturationPercent = 2.5 }, row { $0.evidence.outlierPercent = 0.004 },
                    row { $0.evidence.inputSpans = ["a": 0.3, "b": 42] },
                    row { $0.evidence.weightPerChannel = false; $0.evidence.narrowestWeightChannel = 3; $0.evidence.narrowestWeightLevels = 5 },
                    row { $0.evidence.weightBits = 7; $0.evidence.weightGridSQNR = 21 }]
        for candidate in rows {
            let ours = try #require(LayerDiagnosis.diagnose(candidate))
            let theirs = try #require(LayerDiagnosis.diagnose(candidate, flags: false))
            #expect(ours.reason == theirs.reason)
            #expect(ours.suggestion.contains("--") && !theirs.suggestion.contains("--"), "\(theirs.suggestion)")
        }
        #expect(LayerDiagnosis.diagnose(rows[0], flags: false)?.suggestion == "widen the range: MinMax calibration, or a higher percentile")
        #expect(LayerDiagnosis.diagnose(rows[2], flags: false)?.suggestion == "keep it float (exclude conv_3 from quantization)")
    }

    @Test func concatMixingRanges() throws {
        let mixed = try #require(LayerDiagnosis.diagnose(row { $0.evidence.inputSpans = ["a": 0.3, "b": 42] }))
        #expect(mixed.reason == "output mixes value ranges: inputs span 0.30 to 42 (140x) under one scale")
        #expect(mixed.suggestion == "keep it float (--exclude conv_3)")
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.inputSpans = ["a": 4, "b": 30] }) == nil)
    }

    /// A value an int8 layer reads stays quantized while that layer is int8: the fix keeps both float
    /// (ppocrv4_rec: `--exclude` of its Concat alone changed nothing, the convolution reading it
    /// still quantized its output).
    @Test func exclusionNamesTheInt8LayersReadingTheValue() throws {
        let read = row {
            $0.evidence.inputSpans = ["a": 0.3, "b": 42]
            $0.evidence.int8Readers = ["conv_9", "conv_12"]
        }
        #expect(LayerDiagnosis.diagnose(read)?.suggestion == "keep it float (--exclude conv_3 --exclude conv_9 --exclude conv_12)")
        #expect(LayerDiagnosis.diagnose(read, flags: false)?.suggestion == "keep it float (exclude conv_3, conv_9, conv_12 from quantization)")
    }

    @Test func tinyChannels() throws {
        let depthwise = try #require(LayerDiagnosis.diagnose(row {
            $0.evidence.channels = 16
            $0.evidence.tinyChannels = 2
            $0.evidence.depthwise = true
        }))
        #expect(depthwise.reason == "depthwise channels with tiny range: 2 of 16 span < 4 quantization steps")
        #expect(LayerDiagnosis.diagnose(row {
            $0.evidence.channels = 16
            $0.evidence.tinyChannels = 1
        }) == nil)
    }

    @Test func narrowPerTensorWeightChannel() throws {
        let narrow = try #require(LayerDiagnosis.diagnose(row {
            $0.evidence.weightPerChannel = false
            $0.evidence.narrowestWeightChannel = 5
            $0.evidence.narrowestWeightLevels = 3
        }))
        #expect(narrow.reason == "weight channel 5 uses only 3 levels of the per-tensor scale")
        #expect(narrow.suggestion.contains("per-channel"))
        // The same channel under per-channel scales is not a problem.
        #expect(LayerDiagnosis.diagnose(row {
            $0.evidence.weightPerChannel = true
            $0.evidence.narrowestWeightChannel = 5
            $0.evidence.narrowestWeightLevels = 3
        }) == nil)
    }

    @Test func sevenBitWeights() throws {
        let coarse = try #require(LayerDiagnosis.diagnose(row {
            $0.evidence.weightBits = 7
            $0.evidence.weightGridSQNR = 25
        }))
        #expect(coarse.suggestion.hasPrefix("8-bit weights"))
        #expect(LayerDiagnosis.diagnose(row {
            $0.evidence.weightBits = 8
            $0.evidence.weightGridSQNR = 25
        }) == nil)
    }

    @Test func inheritedError() throws {
        let inherited = try #require(LayerDiagnosis.diagnose(row {
            $0.local = figures(40)
            $0.accumulated = figures(25)
        }))
        #expect(inherited.reason == "error inherited from upstream: this layer alone 40.0 dB, accumulated 25.0 dB")
        #expect(inherited.suggestion == "--target-sqnr DB measures which upstream layers the output is most sensitive to and keeps those float")
        // The upstream layer that loses most on its own is named when it loses more than this one.
        let named = try #require(LayerDiagnosis.diagnose(row {
            $0.local = figures(40)
            $0.accumulated = figures(25)
            $0.evidence.poorestUpstream = "conv_1"
            $0.evidence.poorestUpstreamSQNR = 12.9
        }))
        #expect(named.reason == "error inherited from upstream: this layer alone 40.0 dB, accumulated 25.0 dB; of the layers before it, conv_1 loses most alone (12.9 dB)")
        #expect(named.suggestion == inherited.suggestion)
        // After --target-sqnr ran, it is not suggested again.
        let afterFallback = try #require(LayerDiagnosis.diagnose(row {
            $0.local = figures(40)
            $0.accumulated = figures(25)
        }, sensitivityMeasured: true))
        #expect(afterFallback.suggestion == "--target-sqnr kept the upstream layers that mattered most float (see above); --max-float-layers lets it keep more")
        #expect(try #require(LayerDiagnosis.diagnose(row {
            $0.local = figures(40)
            $0.accumulated = figures(25)
            $0.evidence.poorestUpstream = "conv_1"
            $0.evidence.poorestUpstreamSQNR = 41
        })).reason == inherited.reason)
        #expect(LayerDiagnosis.diagnose(row {
            $0.local = figures(30)
            $0.accumulated = figures(25)
        }) == nil)
        // Nothing quantized upstream: nothing to inherit from.
        #expect(LayerDiagnosis.diagnose(row {
            $0.local = figures(40)
            $0.accumulated = figures(25)
            $0.evidence.quantizedUpstream = false
        }) == nil)
    }

    @Test func moreSpecificCauseWins() throws {
        let both = try #require(LayerDiagnosis.diagnose(row {
            $0.saturationPercent = 5
            $0.evidence.outlierPercent = 0.001
            $0.local = figures(40)
            $0.accumulated = figures(20)
        }))
        #expect(both.reason.hasPrefix("saturates"))
    }

    func input(saturation: Double = 0, outliers: Double = 50, grid: Double = 40, clipping: Double = 0) -> LayerEvidence.Input {
        LayerEvidence.Input(value: "x", saturationPercent: saturation, outlierPercent: outliers, gridSQNR: grid, clippingErrorPercent: clipping)
    }

    @Test func inputQuantizationComesAfterTheOutputsCauses() throws {
        let saturated = try #require(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(), input(saturation: 25.2)] }, method: "entropy"))
        #expect(saturated.reason == "input x saturates: 25.2% of its values clipped at its grid's ends")
        #expect(saturated.suggestion.contains("--method minmax"))
        let outliers = try #require(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(outliers: 0.01)] }, method: "minmax"))
        #expect(outliers.reason.hasPrefix("input x's range dominated by outliers: 0.01% of its values set its scale"))
        // The output's own cause wins over its input's.
        let both = try #require(LayerDiagnosis.diagnose(row {
            $0.saturationPercent = 3
            $0.evidence.inputs = [input(saturation: 25)]
        }))
        #expect(both.reason.hasPrefix("saturates"))
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(saturation: 0.5, outliers: 2, grid: 30)] }) == nil)
        // A layer fine on its own is not blamed on its input, and an inherited error says so first.
        #expect(LayerDiagnosis.diagnose(row {
            $0.evidence.inputs = [input(saturation: 26.7)]
            $0.local = figures(37.3)
            $0.accumulated = figures(33)
        }) == nil)
        let inherited = try #require(LayerDiagnosis.diagnose(row {
            $0.evidence.inputs = [input(saturation: 26.7)]
            $0.local = figures(18)
            $0.accumulated = figures(5)
        }))
        #expect(inherited.reason.hasPrefix("error inherited from upstream"))
    }

    @Test func inputGridThatKeepsLittleOfTheSignal() throws {
        let clipped = try #require(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(saturation: 0.78, outliers: 1.5, grid: 5.43, clipping: 99.99)] },
                                                           method: "percentile 99.999"))
        #expect(clipped.reason == "input x keeps only 5.4 dB on its grid, 100.0% of that error from the 0.78% of values clipped at its ends")
        #expect(clipped.suggestion == "widen the range: --method minmax, or a higher --percentile")
        let rounded = try #require(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(outliers: 1.5, grid: 12, clipping: 10)] }))
        #expect(rounded.reason == "input x keeps only 12.0 dB on its grid, most of it rounding")
        #expect(rounded.suggestion == "keep it float (--exclude conv_3)")
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.inputs = [input(outliers: 1.5, grid: 25, clipping: 99)] }) == nil)
        // The layer measured well on its samples: the calibration estimate alone is not enough.
        #expect(LayerDiagnosis.diagnose(row {
            $0.evidence.inputs = [input(outliers: 1.5, grid: 11.5, clipping: 99)]
            $0.local = figures(45)
            $0.accumulated = figures(45)
        }) == nil)
    }

    @Test func outputClippingThatHoldsMostOfTheError() throws {
        // yolov8n's first SiLU: 0.35% of its values clipped, far past the grid's end.
        let clipped = try #require(LayerDiagnosis.diagnose(row {
            $0.saturationPercent = 0.35
            $0.evidence.output = input(saturation: 0.35, outliers: 51, grid: 15.8, clipping: 97.2)
            $0.local = figures(15.8)
        }, method: "entropy"))
        #expect(clipped.reason == "clipping dominates: the 0.35% of values clipped at the grid's ends make 97.2% of its error (its grid keeps 15.8 dB)")
        #expect(clipped.suggestion == "widen the range: --method minmax, or a higher --percentile")
        // Rounding, not clipping, behind a poor grid; a grid that keeps enough; a layer fine on its samples.
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.output = input(grid: 15, clipping: 20); $0.local = figures(15) }) == nil)
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.output = input(grid: 24, clipping: 99); $0.local = figures(15) }) == nil)
        #expect(LayerDiagnosis.diagnose(row { $0.evidence.output = input(grid: 15, clipping: 99); $0.local = figures(30) }) == nil)
        // Saturating 1% or more is the plainer reason.
        let saturated = try #require(LayerDiagnosis.diagnose(row {
            $0.saturationPercent = 2
            $0.evidence.output = input(saturation: 2, grid: 15, clipping: 99)
            $0.local = figures(15)
        }))
        #expect(saturated.reason.hasPrefix("saturates"))
    }

    @Test func automaticMethodChoiceIsNotSuggestedBack() throws {
        // --method auto measured the other methods: "widen with minmax" would be circular.
        let saturated = try #require(LayerDiagnosis.diagnose(row { $0.saturationPercent = 2.5 }, method: "auto: entropy"))
        #expect(saturated.suggestion == "keep it float (--exclude conv_3); --method auto measured the other range methods worse")
        let outliers = try #require(LayerDiagnosis.diagnose(row { $0.evidence.outlierPercent = 0.004 }, method: "auto: minmax"))
        #expect(outliers.suggestion == "clip harder (a lower --percentile) or keep it float (--exclude conv_3)")
        // Under minmax, whether chosen automatically or not, clipped values were never seen in calibration.
        let unseen = try #require(LayerDiagnosis.diagnose(row { $0.saturationPercent = 2.5 }, method: "auto: minmax"))
        #expect(unseen.suggestion.hasPrefix("the calibration samples never reached these values"))
    }

    @Test func candidatesAreTheWorstByAccumulatedAndByLocal() {
        let rows = [(50.0, 20.0), (10.0, 45.0), (30.0, 30.0), (40.0, 50.0)].enumerated().map { index, pair in
            var r = LayerReport.Row(node: "n\(index)", opType: "Conv", output: "v\(index)")
            r.accumulated = figures(pair.0)
            r.local = figures(pair.1)
            return r
        }
        // Worst accumulated: n1; worst local: n0.
        #expect(LayerDiagnosis.candidates(rows, count: 1) == [1, 0])
        #expect(LayerDiagnosis.candidates(rows, count: 2) == [1, 2, 0])
    }
}
