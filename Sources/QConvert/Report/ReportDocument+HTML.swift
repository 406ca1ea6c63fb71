/// The report as one self-contained HTML page (`--report x.html`): inline CSS, an inline SVG chart
/// of SQNR along the graph, the summary, warnings, diagnosed layers and the full per-layer table.
/// No script, font or other external asset, so it opens anywhere, offline, and can be mailed.
extension ReportDocument {
    public var html: String {
        var body = "<h1>qconvert \(HTML.escape(kind)) report</h1>\n<dl class=\"summary\">\n"
        for (label, value) in ReportTable.summary(self) { body += "<dt>\(HTML.escape(label))</dt><dd>\(HTML.escape(value))</dd>\n" }
        body += "</dl>\n"
        if !runtime.warnings.isEmpty {
            body += "<section class=\"warnings\"><h2>Warnings</h2><ul>\n"
            for warning in runtime.warnings { body += "<li>\(HTML.escape(warning))</li>\n" }
            body += "</ul>\n"
            // Collapsed: the list can name every layer of the model and would push the chart off the first screen.
            if let layers = runtime.pairSaturation?.layers, !layers.isEmpty {
                body += "<details><summary>Layers that can saturate (\(layers.count))</summary>\n"
                let saturating = ReportTable.pairSaturation(layers)
                body += Self.htmlTable(saturating.header, saturating.rows, id: "pair-saturation") + "</details>\n"
            }
            body += "</section>\n"
        }
        body += "<h2>SQNR along the graph</h2>\n<figure>\(ReportChart.svg(rows))</figure>\n"
        let diagnosed = self.diagnosed
        if !diagnosed.isEmpty {
            body += "<h2>Diagnosis of the worst layers</h2>\n"
            let table = ReportTable.diagnosis(diagnosed)
            body += Self.htmlTable(table.header, table.rows, id: "diagnosis")
        }
        if let fallback, !fallback.steps.isEmpty {
            body += "<h2>Kept float by --target-sqnr</h2>\n"
            let steps = ReportTable.fallbackSteps(fallback)
            body += Self.htmlTable(steps.header, steps.rows, id: "fallback")
        }
        let kept = ReportTable.keptFloat(self)
        if !kept.isEmpty {
            body += "<h2>Kept float</h2>\n" + Self.htmlTable(["reason", "nodes", "ops"], kept.map { [$0.0, String($0.1), $0.2] }, id: "kept-float")
        }
        body += "<h2>Layers <span class=\"note\">(\(rows.count) quantized nodes, graph order)</span></h2>\n"
        body += Self.htmlTable(ReportTable.headers, rows.enumerated().map { ReportTable.cells($1, index: $0 + 1) }, id: "layers",
                               rowClass: { rows[$0].accumulated.map { $0.sqnr < 20 ? "bad" : ($0.sqnr < 30 ? "fair" : "") } ?? "" })
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>qconvert \(HTML.escape(kind)) report: \(HTML.escape(floatModel))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    static func htmlTable(_ headers: [String], _ rows: [[String]], id: String, rowClass: (Int) -> String = { _ in "" }) -> String {
        var out = "<div class=\"scroll\"><table id=\"\(id)\">\n<thead><tr>" + headers.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for (index, row) in rows.enumerated() {
            let css = rowClass(index)
            out += "<tr\(css.isEmpty ? "" : " class=\"\(css)\"")>" + row.map { "<td>\(HTML.escape($0))</td>" }.joined() + "</tr>\n"
        }
        return out + "</tbody></table></div>\n"
    }

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#212529;margin:24px auto;max-width:1280px;padding:0 16px}\
        h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 8px}.note{font-weight:normal;color:#868e96;font-size:14px}\
        dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#868e96}dd{margin:0}\
        .warnings{background:#fff4e6;border:1px solid #ffc078;border-radius:6px;padding:4px 16px 12px}\
        figure{margin:0}svg text{font:12px system-ui,sans-serif;fill:#495057}svg .axis{font-size:13px}\
        .scroll{overflow-x:auto}table{border-collapse:collapse;font-size:13px;white-space:nowrap}\
        th,td{padding:3px 8px;border-bottom:1px solid #e9ecef;text-align:left}th{background:#f1f3f5;position:sticky;top:0}\
        td:nth-child(n+5):not(:last-child){text-align:right;font-variant-numeric:tabular-nums}\
        #diagnosis td,#kept-float td,#fallback td,#pair-saturation td{text-align:left;white-space:normal}\
        tr.bad td{background:#fff5f5}tr.fair td{background:#fff9db}tbody tr:hover td{background:#e7f5ff}
        """
}

/// Escaping for text placed in HTML (and SVG) element content and attribute values.
enum HTML {
    /// By scalar, not Character (a `&` followed by a combining mark is one Character); control
    /// characters but newline and tab shown as `?`.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default: out.unicodeScalars.append(Formatting.isHidden(scalar) ? "?" : scalar)
            }
        }
        return out
    }
}
