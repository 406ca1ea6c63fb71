import Foundation
@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The JSON form of histograms: run-length encoding, exact round trips, and rejection of files that
/// no sequence of adds could have produced.
@Suite struct HistogramCodableTests {
    @Test func runLengthEncoding() throws {
        #expect(Histogram.runLengthEncoded([2, 0, 0, 0, 1, 0]) == [2, -3, 1, -1])
        #expect(try Histogram.runLengthDecoded([2, -3, 1, -1]) == [2, 0, 0, 0, 1, 0])
    }

    @Test func roundTripIsExact() throws {
        var rng = SeededGenerator(seed: 42)
        var h = Histogram()
        h.add((0..<5000).map { _ in Float.random(in: -0.1...7.3, using: &rng) } + [.nan, Float.leastNonzeroMagnitude])
        let text = try JSONText.encode(h, pretty: false)
        let back = try JSONText.decode(Histogram.self, from: Data(text.utf8))
        #expect(back == h)
        #expect(try JSONText.encode(back, pretty: false) == text)
        #expect(try JSONText.decode(Histogram.self, from: Data(JSONText.encode(Histogram()).utf8)) == Histogram())
    }

    /// [0, 3] has bins at 0, 512, 1024, 1536 of width 2^-9: stored from bin 0 to bin 1536.
    @Test func storedForm() throws {
        var h = Histogram()
        h.add([0, 1, 2, 3])
        let text = try JSONText.encode(h, pretty: false)
        #expect(text == #"{"count":4,"counts":[1,-511,1,-511,1,-511,1],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#)
    }

    @Test(arguments: [
        (#"{"count":4,"counts":[1,-511,1,-511,1,-511,2],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#, "do not add up"),
        (#"{"count":4,"counts":[1,-255,1,-255,1,-255,1],"exponent":-8,"first":0,"max":3,"min":0,"non_finite":0}"#, "geometry"),
        (#"{"count":4,"counts":[1,-511,1,-511,1,-511,1],"exponent":-9,"first":2,"max":3,"min":0,"non_finite":0}"#, "bin holding min"),
        (#"{"count":2,"counts":[1,-3000,1],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#, "longer than the window"),
        // Bins summing past Int.max: an error, not an overflow trap.
        (#"{"count":4,"counts":[4611686018427387904,-511,4611686018427387904,-511,1,-511,1],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#, "do not add up"),
        // A run of Int.min empty bins: negating it for the message trapped.
        (#"{"count":2,"counts":[1,-9223372036854775808,1],"exponent":-9,"first":0,"max":3,"min":0,"non_finite":0}"#,
         "run of 9223372036854775808 empty bins is longer than the window"),
        (#"{"count":-9223372036854775808,"counts":[],"non_finite":0}"#, "negative count"),
        (#"{"count":-4,"counts":[],"non_finite":0}"#, "negative count"),
        (#"{"count":0,"non_finite":-1}"#, "negative count"),
        // Bins with a count of 0 were read as an empty histogram (found by a black-box run).
        (#"{"count":0,"counts":[1,-511,1],"exponent":-9,"first":0,"max":1,"min":0,"non_finite":0}"#, "bins but a count of 0"),
        // A bound past float32's range was named as the infinity it became (found by a hostile-input review).
        (#"{"count":2,"counts":[1,1],"exponent":-9,"first":0,"max":3,"min":-1e300,"non_finite":0}"#, "histogram min -1e+300 is outside float32's range"),
    ])
    func rejectsImpossibleHistograms(json: String, message: String) {
        #expect {
            _ = try JSONText.decode(Histogram.self, from: Data(json.utf8))
        } throws: { error in
            (error as? QConvertError)?.description.contains(message) == true
        }
    }
}
