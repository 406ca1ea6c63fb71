import QConvertIR

extension Ops {
    /// StringNormalizer: drops the elements of a [C] or [1, C] string tensor that equal a stopword
    /// (ignoring case unless `is_case_sensitive`), then lower- or upper-cases the rest
    /// (`case_change_action` LOWER / UPPER / NONE). When every element is dropped the result is one
    /// empty string, shaped [1] or [1, 1].
    ///
    /// Case mapping is Unicode's default (Swift's `lowercased()`/`uppercased()`); the `locale`
    /// attribute, which selects language-specific rules such as Turkish dotted i, is not applied.
    enum StringNormalizer: Operator {
        static let type = "StringNormalizer"

        enum CaseChange: String { case LOWER, UPPER, NONE }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let action = try node.string("case_change_action", default: "NONE")
            guard let change = CaseChange(rawValue: action) else {
                throw QConvertError("case_change_action must be LOWER, UPPER or NONE, got '\(action)'")
            }
            let caseSensitive = try node.int("is_case_sensitive", default: 0) != 0
            let stopwords: [String]
            switch node.attribute("stopwords") {
            case .strings(let words)?: stopwords = words.map { String(decoding: $0, as: UTF8.self) }
            case nil: stopwords = []
            default: throw QConvertError("attribute 'stopwords' must be a list of strings")
            }
            let stops = Set(caseSensitive ? stopwords : stopwords.map { $0.lowercased() })
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "X")
                guard x.dataType == .string else { throw QConvertError("X must be a string tensor, got \(x.dataType)") }
                guard x.rank == 1 || (x.rank == 2 && x.shape[0] == 1) else {
                    throw QConvertError("X must have shape [C] or [1, C], got \(x.shape)")
                }
                var kept: [[UInt8]] = []
                for bytes in x.storage.strings {
                    let text = String(decoding: bytes, as: UTF8.self)
                    if stops.contains(caseSensitive ? text : text.lowercased()) { continue }
                    switch change {
                    case .LOWER: kept.append(Array(text.lowercased().utf8))
                    case .UPPER: kept.append(Array(text.uppercased().utf8))
                    case .NONE: kept.append(bytes)
                    }
                }
                if kept.isEmpty { kept = [[]] }
                return [Tensor(shape: x.rank == 1 ? [kept.count] : [1, kept.count], strings: kept)]
            }
        }
    }
}
