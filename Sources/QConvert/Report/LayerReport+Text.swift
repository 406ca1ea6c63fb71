/// The compact table printed after every quantize run: the worst layers by accumulated SQNR, names
/// shown on one line each (a newline in a node name would otherwise forge a row).
extension LayerReport {
    public func worstTable(_ count: Int) -> String {
        func db(_ value: Double?) -> String { ReportTable.db(value, missing: "-") }
        var rows: [[String]] = [["worst layers", "op", "local dB", "accum dB", "cosine", "sat %", "weight dB (worst ch)", "scale"]]
        for row in worst(count) {
            let weight = row.weightSQNR.map { db($0) + (row.worstChannel.map { " (ch \($0): \(db(row.worstChannelSQNR)))" } ?? "") } ?? "-"
            rows.append([row.node, row.opType, db(row.local?.sqnr), db(row.accumulated?.sqnr),
                         row.accumulated.map { Formatting.fixed($0.cosine, digits: 4) } ?? "-",
                         row.saturationPercent.map { Formatting.fixed($0, digits: 3) } ?? "-", weight,
                         row.scale.map { Formatting.scientific(Double($0), digits: 2) } ?? "-"])
        }
        var text = Formatting.table(rows)
        for row in worst(count) {
            guard let diagnosis = row.diagnosis else { continue }
            text += "\n" + Formatting.oneLine("  \(row.node): \(diagnosis)" + (row.suggestion.map { " -> \($0)" } ?? ""))
        }
        return text
    }
}
