import Foundation
@testable import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// The three report formats' structure: JSON keys and values, one Markdown and one HTML table row
/// per quantized node, the SVG chart's series, escaping, and the extension picking the format.
@Suite struct ReportRenderingTests {
    let temporary = TemporaryDirectories()

    /// Four rows: a finite one, one with no local figure, an identical one (infinite SQNR), and one
    /// whose names need escaping.
    static func document() -> ReportDocument {
        func figures(_ reference: Float, _ test: Float) -> LayerReport.Figures {
            var error = TensorError()
            error.add(reference, test)
            return LayerReport.Figures(error)
        }
        var rows: [LayerReport.Row] = []
        for (index, name) in ["conv_0", "matmul_1", "relu_2", "odd <b>&\"name\"|*"].enumerated() {
            var row = LayerReport.Row(node: name, opType: index == 1 ? "MatMul" : "Conv", output: "\(name)_out")
            row.accumulated = index == 2 ? figures(1, 1) : figures(1, 0.99 - Float(index) / 100)
            row.local = index == 1 ? nil : figures(1, 0.999)
            row.scale = 0.0125
            row.zeroPoint = 3
            rows.append(row)
        }
        rows[3].diagnosis = "saturates: 2.0% of values clipped at the grid's ends"
        rows[3].suggestion = "widen the range"
        var report = LayerReport(rows: rows, outputSQNR: ["out": 31.5], samples: 2)
        report.sampleSources = ["calib/0006.npy", "calib/0007.npy"]
        report.pairSaturation = PairSaturation.Result(hasVNNI: false, checked: 3, layers: [
            PairSaturation.Layer(node: "conv_0", opType: "Conv", bound: 40_000, channels: 2, inputCodes: [0, 255]),
        ])
        return ReportDocument(kind: "quantize", floatModel: "m.onnx", quantizedModel: "m.int8.onnx", settings: "static, qdq",
                              nodeCount: 9, floatBytes: 4000, quantizedBytes: 1000, report: report,
                              keptFloat: [.init(node: "add_5", opType: "Add", reason: "arithmetic op kept float by default")], fallback: nil)
    }

    /// compare says why rows have no float counterpart (a note: equalization renamed them), and
    /// warns when most have none, in the files as in the terminal (the files said nothing, found by
    /// a review).
    @Test func unmatchedRowsAreExplainedInEveryRendering() throws {
        var rows = Self.document().rows
        rows[0].matched = false
        rows[0].output = "conv_0_out_eq_dq"
        let rescaled = ReportDocument.unmatchedNotes(rows, floatModel: "f.onnx", quantizedModel: "q.onnx")
        #expect(rescaled.note == "no float counterpart for 1 (outputs rescaled per channel by qconvert's activation equalization, which the float model does not hold): conv_0")
        #expect(rescaled.warning == nil)
        for index in 0..<3 {
            rows[index].matched = false
            rows[index].output = "renamed_\(index)"
        }
        let (note, warning) = ReportDocument.unmatchedNotes(rows, floatModel: "f.onnx", quantizedModel: "q.onnx")
        #expect(note == "no float counterpart for 3: conv_0, matmul_1, relu_2")
        #expect(warning == "3 of 4 quantized values have no namesake in f.onnx: is it the model q.onnx was made from?")
        let document = ReportDocument(kind: "compare", floatModel: "f.onnx", quantizedModel: "q.onnx", settings: nil, nodeCount: 9,
                                      floatBytes: 4000, quantizedBytes: 1000, report: LayerReport(rows: rows, outputSQNR: [:], samples: 2),
                                      keptFloat: [], fallback: nil, warnings: [warning!], notes: [note!])
        #expect(document.text.contains("\nno float counterpart for 3: conv_0, matmul_1, relu_2\n"))
        #expect(document.text.contains("\nwarning: 3 of 4 quantized values have no namesake"))
        for format in ["r.json", "r.md", "r.html"] {
            let rendered = try ReportWriter.render(document, for: format)
            #expect(rendered.contains("have no namesake in f.onnx") && rendered.contains("no float counterpart for 3"), "\(format)")
        }
    }

    /// A `|` or `&` followed by a combining mark is still escaped (compared by Character, it was not,
    /// and the Markdown row gained a cell; found by a review).
    @Test func escapingIsByScalar() {
        #expect(ReportDocument.escaped("m|\u{301}m") == "m\\|\u{301}m")
        #expect(HTML.escape("a&\u{301}<") == "a&amp;\u{301}&lt;")
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let text = try ReportWriter.render(Self.document(), for: "r.json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "qconvert-report" && object["version"] as? Int == 1)
        for key in ["kind", "float_model", "quantized_model", "settings", "node_count", "quantized_node_count", "float_bytes", "quantized_bytes",
                    "output_sqnr", "samples", "ranges_from", "kept_float", "runtime", "rows"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 4 && object["quantized_node_count"] as? Int == 4)
        #expect(Set(rows[0].keys).isSuperset(of: ["node", "op_type", "output", "matched", "scale", "zero_point", "local", "accumulated", "evidence"]))
        #expect(rows[1]["local"] == nil, "absent figures are left out")
        #expect((rows[2]["accumulated"] as? [String: Any])?["sqnr"] as? String == "inf")
        let runtime = try #require(object["runtime"] as? [String: Any])
        #expect(runtime["has_vnni"] as? Bool == CPUFeatures.hasVNNI)
        #expect((runtime["warnings"] as? [String])?.first?.contains("1 of 3 uint8 x int8 layers") == true)
        #expect((object["samples"] as? [String: Any])?["sources"] as? [String] == ["calib/0006.npy", "calib/0007.npy"])
    }

    @Test func markdownHasOneTableRowPerNode() throws {
        let text = try ReportWriter.render(Self.document(), for: "r.md")
        let layers = try #require(text.components(separatedBy: "## Layers").last)
        let tableLines = layers.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(tableLines.count == 2 + 4, "header, rule, one line per node")
        // Every line has as many unescaped cell separators as the header.
        func separators(_ line: Substring) -> Int { zip(line, " " + line).filter { $0 == "|" && $1 != "\\" }.count }
        #expect(tableLines.allSatisfy { separators($0) == separators(tableLines[0]) })
        #expect(text.contains("odd \\<b\\>\\&\"name\"\\|\\*"), "cell text escaped")
        #expect(text.contains("## Diagnosis of the worst layers") && text.contains("## Warnings"))
    }

    @Test func htmlIsSelfContainedWithChartAndOneRowPerNode() throws {
        let text = try ReportWriter.render(Self.document(), for: "r.html")
        #expect(text.hasPrefix("<!DOCTYPE html>"))
        let layers = try #require(text.components(separatedBy: "<table id=\"layers\">").last?.components(separatedBy: "</table>").first)
        #expect(layers.components(separatedBy: "<tbody>").last!.components(separatedBy: "<tr").count - 1 == 4)
        #expect(text.contains("<svg id=\"sqnr-chart\""))
        // One point per figure: 4 accumulated, 3 local.
        let accumulated = try #require(text.components(separatedBy: "<g class=\"series accumulated\"").last?.components(separatedBy: "</g>").first)
        let local = try #require(text.components(separatedBy: "<g class=\"series local\"").last?.components(separatedBy: "</g>").first)
        #expect(accumulated.components(separatedBy: "<circle").count - 1 == 4)
        #expect(local.components(separatedBy: "<circle").count - 1 == 3)
        #expect(text.contains("odd &lt;b&gt;&amp;&quot;name&quot;|*") && !text.contains("<b>&"))
        // The layers that can saturate are folded away, so the chart stays on the first screen.
        #expect(text.contains("<details><summary>Layers that can saturate (1)</summary>\n<div class=\"scroll\"><table id=\"pair-saturation\">"))
        for external in ["<script", "src=", "href=", "@import", "url("] {
            #expect(!text.contains(external), "no external asset or script: \(external)")
        }
    }

    /// A float tensor of zeros quantized to something else has SQNR -inf: shown as such in every
    /// rendering and plotted at the chart's bottom (it read "inf", the best, found by a review).
    @Test func negativeInfiniteSQNRIsShownAsTheWorst() throws {
        var document = Self.document()
        var error = TensorError()
        error.add(0, 1)
        document.rows[0].accumulated = LayerReport.Figures(error)
        #expect(document.rows[0].accumulated?.sqnr == -.infinity)
        let terminal = document.text.split(separator: "\n").first { $0.hasPrefix("conv_0 ") }
        #expect(terminal?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "-inf", "\(terminal ?? "")")
        let markdown = try ReportWriter.render(document, for: "r.md")
        #expect(markdown.contains("| 1 | conv\\_0 | Conv | conv\\_0\\_out | 60.0 | -inf |"))
        let html = try ReportWriter.render(document, for: "r.html")
        #expect(html.contains("<td>-inf</td>"))
        // The chart's plot runs from y 34 (top) to 34 + 302 (bottom) at the default height.
        let point = try #require(html.components(separatedBy: "<g class=\"series accumulated\"").last?.components(separatedBy: "<circle").dropFirst().first)
        let cy = try #require(point.components(separatedBy: "cy=\"").dropFirst().first?.split(separator: "\"").first.flatMap { Double($0) })
        let others = html.components(separatedBy: "cy=\"").dropFirst().compactMap { $0.split(separator: "\"").first.flatMap { Double($0) } }
        #expect(cy == others.max(), "plotted lowest")
    }

    /// Names with newlines and escape characters: one line per table row in the terminal, no
    /// control character in any rendering (a newline in a node name forged summary lines).
    @Test func controlCharactersInNamesStayOnOneLine() throws {
        var document = Self.document()
        document.rows[1].node = "evil\nall layers OK: nothing to fix\u{1B}[2J\r"
        document.rows[1].diagnosis = "saturates"
        document.rows[1].suggestion = "keep it float (--exclude 'x')"
        let text = document.text
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("all layers OK") })
        #expect(text.contains("evil?all layers OK: nothing to fix?[2J?"))
        #expect(!(try ReportWriter.render(document, for: "r.md")).contains("\nall layers OK"))
        for format in ["r.md", "r.html"] {
            let rendered = try ReportWriter.render(document, for: format)
            #expect(!rendered.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7F }, "\(format)")
        }
    }

    @Test func extensionPicksTheFormat() throws {
        #expect(try ReportWriter.format(of: "a/b.JSON") == .json)
        #expect(try ReportWriter.format(of: "x.md") == .markdown)
        #expect(try ReportWriter.format(of: "x.html") == .html)
        for bad in ["x.txt", "report", "dir.html/x"] {
            #expect(throws: QConvertError.self) { try ReportWriter.format(of: bad) }
        }
    }

    @Test func writesAtomically() throws {
        let dir = temporary.make()
        try ReportWriter.write(Self.document(), to: dir + "/r.html")
        #expect(FileChecks.exists(dir + "/r.html"))
        #expect(throws: QConvertError.self) { try ReportWriter.write(Self.document(), to: dir + "/r.txt") }
        #expect(throws: QConvertError.self) { try ReportWriter.write(Self.document(), to: dir + "/missing/r.json") }
        #expect(try Directory.entries(dir) == ["r.html"], "nothing else left behind")
    }
}
