@testable import QConvert
import Testing

/// The locale-free number formatters of the text renderings, at ordinary values and at every Double
/// a user can pass through them.
@Suite struct FormattingTests {
    @Test func ordinaryValues() {
        #expect(Formatting.fixed(3.14159, digits: 2) == "3.14")
        #expect(Formatting.fixed(-0.05, digits: 1) == "-0.1")
        #expect(Formatting.fixed(-0.04, digits: 1) == "0.0")
        #expect(Formatting.fixed(9.996, digits: 2) == "10.00")
        #expect(Formatting.fixed(2.5, digits: 0) == "3")
        #expect(Formatting.fixed(0.001, digits: 3) == "0.001")
        #expect(Formatting.scientific(0.00123, digits: 2) == "1.23e-03")
    }

    /// Values past Int (`--target-sqnr 1e19` in the summary) trapped converting to Int; they print
    /// exactly, as C's printf("%.1f") prints them.
    @Test func anyDoublePrints() {
        #expect(Formatting.fixed(1e19, digits: 1) == "10000000000000000000.0")
        #expect(Formatting.fixed(-1e19, digits: 1) == "-10000000000000000000.0")
        #expect(Formatting.fixed(0x1p63, digits: 0) == "9223372036854775808")
        #expect(Formatting.fixed(1e23, digits: 2) == "99999999999999991611392.00")
        #expect(Formatting.fixed(Double.greatestFiniteMagnitude, digits: 1).count == 311)
        #expect(Formatting.fixed(-Double.greatestFiniteMagnitude, digits: 1).hasPrefix("-17976931348623157081"))
        #expect(Formatting.fixed(.infinity, digits: 2) == "inf")
        #expect(Formatting.fixed(-.infinity, digits: 2) == "-inf")
        #expect(Formatting.fixed(.nan, digits: 2) == "nan")
        #expect(Formatting.fixed(1, digits: 40) == "1." + String(repeating: "0", count: 17))
        #expect(Formatting.fixed(1.5, digits: -3) == "2")
        #expect(Formatting.scientific(1e300, digits: 1) == "1.0e+300")
    }

    /// Names from a model, placed in terminal text: one line, and one shell word in a suggested
    /// `--exclude` (a name with a space or quote was split or broke the command when pasted).
    @Test func namesStayOneLineAndOneShellWord() {
        #expect(Formatting.oneLine("a\nb\tc\u{1B}d\u{85}e\u{2028}f\u{202E}g\u{2066}") == "a?b?c?d?e?f?g?")
        #expect(Formatting.oneLine("p2o.Conv.48 é") == "p2o.Conv.48 é")
        #expect(Formatting.shellWord("p2o.Conv.48") == "p2o.Conv.48")
        #expect(Formatting.shellWord("/model.0/conv/Conv") == "/model.0/conv/Conv")
        #expect(Formatting.shellWord("Conv@0") == "Conv@0")
        #expect(Formatting.shellWord("a b") == "'a b'")
        #expect(Formatting.shellWord("it's $x") == "'it'\\''s $x'")
        #expect(Formatting.shellWord("") == "''")
        // A control character in $'...' form: shown as '?' it named another node (found by a review).
        #expect(Formatting.shellWord("m\nm'\u{85}") == "$'m\\x0am\\'\\u0085'")
        // A name starting with '-' is read as an option, quoted or not: given with '='.
        #expect(Formatting.shellOption("--exclude", "-mm") == "--exclude=-mm")
        #expect(Formatting.shellOption("--exclude", "a b") == "--exclude 'a b'")
    }
}
