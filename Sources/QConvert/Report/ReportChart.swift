#if canImport(Glibc)
import Glibc
#endif

/// The HTML report's chart: accumulated and local SQNR (dB) of each quantized node, x = the node's
/// position in graph order, as inline SVG (no script, no external asset). Each point carries a
/// `<title>` naming the node, so hovering shows it. An infinite SQNR (no error) is drawn at the
/// top edge; a missing figure breaks its line.
enum ReportChart {
    struct Series {
        var name: String
        var cssClass: String
        var color: String
        var dashed: Bool
        var values: [Double?]
    }

    static func svg(_ rows: [LayerReport.Row], width: Double = 1000, height: Double = 340) -> String {
        let series = [
            Series(name: "accumulated SQNR (whole model up to the node)", cssClass: "accumulated", color: "#d9480f", dashed: false,
                   values: rows.map { $0.accumulated?.sqnr }),
            Series(name: "local SQNR (the node alone)", cssClass: "local", color: "#1c7ed6", dashed: true, values: rows.map { $0.local?.sqnr }),
        ]
        let finite = series.flatMap { $0.values.compactMap { $0 }.filter(\.isFinite) }
        let step = 10.0
        var low = ((finite.min() ?? 0) / step).rounded(.down) * step, high = ((finite.max() ?? 60) / step).rounded(.up) * step
        if high <= low { high = low + step }
        if high - low > 120 { low = high - 120 }
        let left = 58.0, right = 18.0, top = 34.0, bottom = 44.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let count = max(rows.count, 1)
        func x(_ i: Int) -> Double { left + (Double(i) + 0.5) * plotWidth / Double(count) }
        func y(_ value: Double) -> Double {
            let clamped = value.isFinite ? min(max(value, low), high) : (value > 0 ? high : low)
            return top + (high - clamped) / (high - low) * plotHeight
        }
        func f(_ v: Double) -> String { Formatting.fixed(v, digits: 1) }
        var svg = "<svg id=\"sqnr-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"100%\" role=\"img\" aria-label=\"SQNR along the graph\">\n"
        svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"#fbfbfc\" stroke=\"#ced4da\"/>\n"
        var tick = low
        while tick <= high + 1e-9 {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#e9ecef\"/>"
            svg += "<text x=\"\(f(left - 8))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" class=\"tick\">\(Formatting.fixed(tick, digits: 0))</text>\n"
            tick += step
        }
        let labelEvery = max(1, Int((Double(count) / 20).rounded(.up)))
        for i in stride(from: 0, to: rows.count, by: labelEvery) {
            svg += "<text x=\"\(f(x(i)))\" y=\"\(f(top + plotHeight + 16))\" text-anchor=\"middle\" class=\"tick\">\(i + 1)</text>"
        }
        svg += "\n<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" class=\"axis\">quantized nodes in graph order</text>\n"
        svg += "<text transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">SQNR (dB)</text>\n"
        for s in series {
            svg += "<g class=\"series \(s.cssClass)\" fill=\"none\" stroke=\"\(s.color)\">\n"
            var segment: [String] = []
            func flush() {
                if segment.count > 1 {
                    svg += "<polyline points=\"\(segment.joined(separator: " "))\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>\n"
                }
                segment = []
            }
            for (i, value) in s.values.enumerated() {
                guard let value else { flush(); continue }
                segment.append("\(f(x(i))),\(f(y(value)))")
            }
            flush()
            for (i, value) in s.values.enumerated() {
                guard let value else { continue }
                let label = "\(i + 1) \(rows[i].node) (\(rows[i].opType)): \(s.cssClass) \(ReportTable.db(value)) dB"
                svg += "<circle class=\"point\" cx=\"\(f(x(i)))\" cy=\"\(f(y(value)))\" r=\"\(count > 150 ? "1.6" : "2.6")\" fill=\"\(s.color)\" stroke=\"none\"><title>\(HTML.escape(label))</title></circle>\n"
            }
            svg += "</g>\n"
        }
        var legendX = left + 4
        for s in series {
            svg += "<line x1=\"\(f(legendX))\" x2=\"\(f(legendX + 22))\" y1=\"14\" y2=\"14\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            svg += "<text x=\"\(f(legendX + 28))\" y=\"18\" class=\"legend\">\(HTML.escape(s.name))</text>\n"
            legendX += 28 + Double(s.name.count) * 6.6 + 24
        }
        return svg + "</svg>"
    }
}
