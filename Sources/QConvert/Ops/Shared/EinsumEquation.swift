import QConvertIR

/// An Einsum equation with each operand's axes named: letters as written, and an ellipsis expanded
/// into labels of its own, one per broadcast axis, aligned from the right across operands as numpy
/// does ("...ij,...jk" on ranks 4 and 3 gives the first operand two ellipsis axes, the second one,
/// the last of the two).
///
/// Without "->" the output is the ellipsis axes followed by the letters that occur once, in
/// alphabetical order (numpy's implicit mode).
struct EinsumEquation {
    let operands: [[Character]]
    let output: [Character]

    init(_ equation: String, ranks: [Int]) throws {
        let text = equation.filter { $0 != " " }
        let sides = text.components(separatedBy: "->")
        guard sides.count <= 2 else { throw QConvertError("equation '\(equation)' has more than one '->'") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == ranks.count else {
            throw QConvertError("equation '\(equation)' has \(terms.count) operands, the node \(ranks.count) inputs")
        }
        let parsed = try terms.map { try Self.parse($0, equation) }
        var ellipsisRank = 0
        for (term, rank) in zip(parsed, ranks) {
            let free = rank - term.letters.count
            guard term.hasEllipsis ? free >= 0 : free == 0 else {
                throw QConvertError("operand '\(term.text)' of equation '\(equation)' does not match an input of rank \(rank)")
            }
            ellipsisRank = max(ellipsisRank, free)
        }
        // Private-use characters: never a letter of the equation.
        let ellipsis = (0..<ellipsisRank).map { Character(Unicode.Scalar(0xE000 + $0)!) }
        operands = zip(parsed, ranks).map { term, rank in term.expanded(Array(ellipsis.suffix(rank - term.letters.count))) }
        if sides.count == 2 {
            let out = try Self.parse(sides[1], equation)
            // As numpy and ONNX Runtime: ellipsis axes are not summed away implicitly.
            guard out.hasEllipsis || ellipsis.isEmpty else {
                throw QConvertError("equation '\(equation)' has ellipsis axes in its operands but no '...' in its output")
            }
            output = out.expanded(out.hasEllipsis ? ellipsis : [])
            guard Set(output).count == output.count else { throw QConvertError("output '\(out.text)' of equation '\(equation)' repeats a subscript") }
            let known = Set(operands.joined())
            if let missing = out.letters.first(where: { !known.contains($0) }) {
                throw QConvertError("output subscript '\(missing)' of equation '\(equation)' is in no operand")
            }
        } else {
            let counts = Dictionary(operands.joined().filter { !ellipsis.contains($0) }.map { ($0, 1) }, uniquingKeysWith: +)
            output = ellipsis + counts.filter { $0.value == 1 }.keys.sorted()
        }
    }

    /// One operand's subscripts: its letters and where the ellipsis stands among them.
    private struct Term {
        let text: String
        let letters: [Character]
        let ellipsisAt: Int?

        var hasEllipsis: Bool { ellipsisAt != nil }

        func expanded(_ ellipsis: [Character]) -> [Character] {
            guard let at = ellipsisAt else { return letters }
            return Array(letters[..<at]) + ellipsis + Array(letters[at...])
        }
    }

    private static func parse(_ text: String, _ equation: String) throws -> Term {
        let pieces = text.components(separatedBy: "...")
        guard pieces.count <= 2 else { throw QConvertError("'\(text)' of equation '\(equation)' has more than one ellipsis") }
        let letters = Array(pieces.joined())
        if let bad = letters.first(where: { !($0.isASCII && $0.isLetter) }) {
            throw QConvertError("equation '\(equation)' has '\(bad)', not a letter, as a subscript")
        }
        return Term(text: text, letters: letters, ellipsisAt: pieces.count == 2 ? pieces[0].count : nil)
    }
}
