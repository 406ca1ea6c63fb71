#if canImport(Glibc)
import Glibc
#endif

/// Small number formatters shared by the text renderings (summary, report, progress).
public enum Formatting {
    /// "1 sample", "2 samples": `noun` with an s unless `count` is 1.
    public static func count(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// `1234567` -> `"1.2 MB"` (decimal units, as file managers and `ls -h --si` show them).
    public static func bytes(_ count: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(count) B" : fixed(value, digits: 1) + " " + units[unit]
    }

    /// `1234567` -> `"1,234,567"`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return value < 0 ? "-" + out : out
    }

    /// A fixed-point decimal string with `digits` fractional digits (no Foundation formatting, so the
    /// output does not depend on the locale). Any Double prints: the whole part of one past Int (a
    /// `--target-sqnr 1e19` in the summary trapped converting it) is written out exactly, and
    /// `digits` is held to 0...17, past which a Double has no digits to show.
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        let digits = min(max(digits, 0), 17)
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        // Whole and fractional parts apart: the subtraction is exact, and the fraction scaled by at
        // most 10^17 fits Int whatever the value.
        var whole = abs(value).rounded(.towardZero)
        var fraction = ((abs(value) - whole) * scale).rounded()
        if fraction >= scale { (whole, fraction) = (whole + 1, 0) }
        let sign = value < 0 && (whole != 0 || fraction != 0) ? "-" : ""
        let wholeText = whole < 0x1p63 ? String(Int(whole)) : exactDigits(whole)
        guard digits > 0 else { return sign + wholeText }
        let fractionText = String(Int(fraction))
        return sign + wholeText + "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }

    /// The exact decimal digits of a whole number `value` >= 2^63 (past Int): its 53-bit significand
    /// doubled `exponent - 52` times, in base-10^9 limbs, least significant first.
    static func exactDigits(_ value: Double) -> String {
        let base: UInt64 = 1_000_000_000
        var significand = value.significandBitPattern | (1 << 52)
        var limbs: [UInt64] = []
        while significand > 0 {
            limbs.append(significand % base)
            significand /= base
        }
        for _ in 0..<(Int(value.exponent) - 52) {
            var carry: UInt64 = 0
            for index in limbs.indices {
                let doubled = limbs[index] * 2 + carry
                (limbs[index], carry) = (doubled % base, doubled / base)
            }
            if carry > 0 { limbs.append(carry) }
        }
        let lower = limbs.dropLast().reversed().map { limb in
            let text = String(limb)
            return String(repeating: "0", count: 9 - text.count) + text
        }
        return String(limbs.last!) + lower.joined()
    }

    /// `0.00123` -> `"1.23e-03"` with `digits` fractional digits in the mantissa (locale-free).
    public static func scientific(_ value: Double, digits: Int) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : fixed(value, digits: 0) }
        var exponent = Int((log10(abs(value))).rounded(.down))
        var mantissa = value / pow(10, Double(exponent))
        if abs(Double(fixed(abs(mantissa), digits: digits)) ?? 0) >= 10 {
            exponent += 1
            mantissa /= 10
        }
        let sign = exponent < 0 ? "-" : "+"
        let magnitude = String(abs(exponent))
        return fixed(mantissa, digits: digits) + "e" + sign + (magnitude.count < 2 ? "0" : "") + magnitude
    }

    /// `text` with every control character (newline and tab too), line separator and bidirectional
    /// override shown as `?`: names come from model files, and a newline in a node name must not
    /// split a table row or forge a line of the summary, nor a right-to-left override reorder it.
    public static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { isHidden($0) ? "?" : $0 }))
    }

    /// The scalars `oneLine` shows as `?`.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        let control = v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
        let bidi = v == 0x200E || v == 0x200F || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
        return control || bidi
    }

    /// `word` as one shell word: as it is when it holds only characters no shell treats specially,
    /// else single-quoted, or with hidden characters in bash's $'...' form (`oneLine` would show
    /// them as `?`, naming another node), so that a suggestion can be pasted as printed.
    public static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { c in c.isASCII && (c.isLetter || c.isNumber || "._-/@:+,=%".contains(c)) }
        if plain { return word }
        guard word.unicodeScalars.contains(where: isHidden) else {
            return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        }
        var out = "$'"
        for scalar in word.unicodeScalars {
            switch scalar {
            case "\\", "'": out += "\\" + String(scalar)
            case _ where isHidden(scalar):
                let hex = String(scalar.value, radix: 16)
                // \x is a byte to bash: \u for the scalars UTF-8 spells in two bytes or more.
                out += scalar.value < 0x80 ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                                            : "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    /// `flag NAME` as one pasteable argument: `flag=NAME` when the name starts with '-', which the
    /// argument parser would otherwise read as another option, quoted or not.
    public static func shellOption(_ flag: String, _ value: String) -> String {
        flag + (value.hasPrefix("-") ? "=" : " ") + shellWord(value)
    }

    /// Left-aligned columns separated by two spaces; the last column is not padded. Cells are shown
    /// on one line each (`oneLine`).
    public static func table(_ rows: [[String]]) -> String {
        let rows = rows.map { $0.map(oneLine) }
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = Array(repeating: 0, count: width)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
