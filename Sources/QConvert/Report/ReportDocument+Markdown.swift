/// The report as Markdown (`--report x.md`): summary, warnings, diagnosed layers, float nodes and the
/// full per-layer table, for pasting into an issue or a pull request.
extension ReportDocument {
    public var markdown: String {
        var out = "# qconvert \(kind) report\n\n"
        for (label, value) in ReportTable.summary(self) { out += "- **\(label)**: \(Self.escaped(value))\n" }
        if !runtime.warnings.isEmpty {
            out += "\n## Warnings\n\n"
            for warning in runtime.warnings { out += "- \(Self.escaped(warning))\n" }
            if let layers = runtime.pairSaturation?.layers, !layers.isEmpty {
                let saturating = ReportTable.pairSaturation(layers)
                out += "\n" + Self.table(saturating.header, saturating.rows)
            }
        }
        let diagnosed = self.diagnosed
        if !diagnosed.isEmpty {
            out += "\n## Diagnosis of the worst layers\n\n"
            let table = ReportTable.diagnosis(diagnosed)
            out += Self.table(table.header, table.rows)
        }
        if let fallback, !fallback.steps.isEmpty {
            out += "\n## Kept float by --target-sqnr\n\n"
            let steps = ReportTable.fallbackSteps(fallback)
            out += Self.table(steps.header, steps.rows)
        }
        let kept = ReportTable.keptFloat(self)
        if !kept.isEmpty {
            out += "\n## Kept float\n\n"
            out += Self.table(["reason", "nodes", "ops"], kept.map { [$0.0, String($0.1), $0.2] })
        }
        out += "\n## Layers (\(rows.count) quantized nodes, graph order)\n\n"
        out += Self.table(ReportTable.headers, rows.enumerated().map { ReportTable.cells($1, index: $0 + 1) })
        return out
    }

    /// A GitHub-flavoured Markdown table.
    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var out = "| " + headers.map(escaped).joined(separator: " | ") + " |\n"
        out += "|" + headers.map { _ in " --- |" }.joined() + "\n"
        for row in rows { out += "| " + row.map(escaped).joined(separator: " | ") + " |\n" }
        return out
    }

    /// Escapes the characters that would break a table cell or start markup (`&` too: `&lt;` in a
    /// name is an entity to a renderer); control characters, a newline too, are shown as `?`.
    /// By scalar, not Character: a `|` followed by a combining mark is one Character that equals no
    /// `|`, and split the cell (found by a review).
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in Formatting.oneLine(text).unicodeScalars {
            if "|*_`<>[]\\&".unicodeScalars.contains(scalar) { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out
    }
}
