/// The per-layer table's columns and the summary lines, as text cells: shared by the Markdown and
/// HTML renderings so both show the same figures with the same rounding.
enum ReportTable {
    static let headers = ["#", "node", "op", "output", "local dB", "accum dB", "cosine", "max abs err", "sat %", "scale", "zero pt",
                          "weight dB", "worst ch (dB)", "diagnosis"]

    /// A figure in dB to one decimal ("inf", "-inf" included); `missing` where there is none.
    static func db(_ value: Double?, missing: String = "–") -> String {
        value.map { Formatting.fixed($0, digits: 1) } ?? missing
    }

    static func cells(_ row: LayerReport.Row, index: Int) -> [String] {
        [String(index), row.node, row.opType, row.output, db(row.local?.sqnr), db(row.accumulated?.sqnr),
         row.accumulated.map { Formatting.fixed($0.cosine, digits: 4) } ?? "–",
         row.accumulated.map { Formatting.scientific($0.maxAbs, digits: 2) } ?? "–",
         row.saturationPercent.map { Formatting.fixed($0, digits: 3) } ?? "–",
         row.scale.map { Formatting.scientific(Double($0), digits: 2) } ?? "–",
         row.zeroPoint.map { String($0) } ?? "–",
         db(row.weightSQNR), row.worstChannel.map { "\($0) (\(db(row.worstChannelSQNR)))" } ?? "–",
         row.diagnosis.map { $0 + (row.suggestion.map { " → " + $0 } ?? "") } ?? ""]
    }

    /// Label and value of each summary line.
    static func summary(_ document: ReportDocument) -> [(String, String)] {
        var lines: [(String, String)] = []
        lines.append(("float model", document.floatModel))
        lines.append(("quantized model", document.quantizedModel))
        if let settings = document.settings { lines.append(("settings", settings)) }
        lines.append(("quantized nodes", "\(document.quantizedNodeCount) (of \(document.nodeCount) nodes in the float model)"))
        let ratio = document.floatBytes > 0 ? Double(document.quantizedBytes) / Double(document.floatBytes) : 0
        lines.append(("size", "\(Formatting.bytes(document.floatBytes)) → \(Formatting.bytes(document.quantizedBytes)) (\(Formatting.fixed(ratio, digits: 2))x)"))
        let outputs = OutputAgreement.listing(document.outputSQNR, parts: document.outputParts) { db($0) }
        lines.append(("output SQNR", outputs.isEmpty ? "not measured" : outputs.joined(separator: ", ")))
        lines.append(("samples", "\(document.samples.count)" + (document.samples.sources.isEmpty ? "" : " (\(sampleRange(document.samples.sources)))")))
        lines.append(("value ranges from", document.rangesFrom))
        lines.append(("CPU", document.runtime.hasVNNI ? "has VNNI (ONNX Runtime's int8 kernels accumulate in 32 bits)" : "no VNNI (ONNX Runtime's u8 x s8 kernels add pairs in 16 bits)"))
        for note in document.notes ?? [] { lines.append(("note", note)) }
        if let fallback = document.fallback {
            lines.append(("target SQNR", "\(db(fallback.targetSQNR)) dB: \(db(fallback.initialSQNR)) → \(db(fallback.finalSQNR)) dB with \(fallback.floatNodes.count) of \(fallback.candidates) layers kept float"
                         + (fallback.shortfall.map { "; not reached: " + $0 } ?? "")))
        }
        return lines
    }

    /// `a.npy … z.npy` for a list of sample files.
    static func sampleRange(_ sources: [String]) -> String {
        let names = sources.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        guard let first = names.first, let last = names.last else { return "" }
        return names.count == 1 ? first : "\(first) … \(last)"
    }

    /// The layers whose u8 x s8 pair sums can saturate without VNNI: header and one row per layer.
    static func pairSaturation(_ layers: [PairSaturation.Layer]) -> (header: [String], rows: [[String]]) {
        (["node", "op", "largest pair sum", "channels over 32767", "input codes"],
         layers.map { [$0.node, $0.opType, String($0.bound), String($0.channels), "\($0.inputCodes.first ?? 0)…\($0.inputCodes.last ?? 255)"] })
    }

    /// The diagnosed layers (worst first): header and one row per layer.
    static func diagnosis(_ rows: [LayerReport.Row]) -> (header: [String], rows: [[String]]) {
        (["node", "op", "accum dB", "local dB", "reason", "suggestion"],
         rows.map { [$0.node, $0.opType, db($0.accumulated?.sqnr), db($0.local?.sqnr), $0.diagnosis ?? "", $0.suggestion ?? ""] })
    }

    /// The --target-sqnr steps as a table: header and one row per step.
    static func fallbackSteps(_ fallback: SensitivityFallback.Result) -> (header: [String], rows: [[String]]) {
        (["node", "in place of", "gain (dB: alone, on those kept, or by the exchange)", "output SQNR after (dB)"],
         fallback.steps.map { step in
             [step.nodes.map { "\(step.node): " + $0.joined(separator: ", ") } ?? step.node, step.replaces ?? "", db(step.gain), db(step.sqnr)]
         })
    }

    /// Float nodes grouped by reason: (reason, count, "2 Add, 1 Mul").
    static func keptFloat(_ document: ReportDocument) -> [(String, Int, String)] {
        var byReason: [String: [String: Int]] = [:]
        for kept in document.keptFloat { byReason[kept.reason, default: [:]][kept.opType, default: 0] += 1 }
        return byReason.sorted { $0.key < $1.key }.map { reason, ops in
            (reason, ops.values.reduce(0, +), ops.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
    }
}
