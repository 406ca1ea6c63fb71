import Foundation
import QConvert
import QConvertIR
import QConvertONNX
import QConvertTestSupport

/// What quantizing one fixture gave: where each node runs, the parameters of every DequantizeLinear in
/// the written file, and the output SQNR on the held-out samples. Committed per fixture under
/// `Tests/QConvertTests/Golden/`, so a change in numerics (a rounding mode, a reordered pass, a range
/// method) shows up as a failing test and, once re-recorded on purpose, as a reviewed diff.
struct GoldenMetrics: Codable, Equatable {
    struct Placement: Codable, Equatable {
        var node: String
        var opType: String
        var quantized: Bool
    }

    /// One DequantizeLinear of the written model (weight, bias or activation), by the value it
    /// produces (a weight's DequantizeLinear has no node name).
    struct Parameters: Codable, Equatable {
        var value: String
        var scales: [Float]
        var zeroPoints: [Int64]
    }

    struct OutputSQNR: Codable, Equatable {
        var output: String
        var db: Double
    }

    var method: String
    var nodes: [Placement]
    var parameters: [Parameters]
    var sqnr: [OutputSQNR]

    /// Largest drop in output SQNR tolerated before a test fails, in dB.
    static let sqnrTolerance = 0.5
    /// Largest relative change of a scale tolerated.
    static let scaleTolerance: Float = 0.01
    /// Zero points may move by one code: z = qmin - round(lo / s) flips at a half when a scale moves
    /// within its tolerance.
    static let zeroPointTolerance: Int64 = 1

    /// Quantizes `fixture` with the library defaults, one thread and 8-bit weights (the CLI's `auto`
    /// depends on the CPU), from its committed calibration folder, and reads the result back. A
    /// fixture without one (unknown_op: no runtime can execute its op) is quantized weight-only, which
    /// still pins where its nodes run.
    static func measure(_ fixture: FixtureCase, scratch: String) throws -> GoldenMetrics {
        var options = ModelQuantization.Options(model: fixture.modelPath)
        let calibration = fixture.directory + "/calib"
        if FileChecks.exists(calibration) {
            options.calibrationDirectory = calibration
        } else {
            options.quantization.mode = .weightOnly
        }
        options.output = scratch + "/q.onnx"
        options.threads = 1
        options.quantization.weightBits = 8
        let summary = try ModelQuantization.run(options)
        let written = try ONNXReader.read(path: options.output!).graph
        let parameters = try written.nodes.filter { $0.opType == "DequantizeLinear" }.map { node in
            guard let scales = written.initializers[node.inputs[1]]?.floats() else {
                throw QConvertError("\(node.displayName): scale is not a float initializer")
            }
            let zeros = node.inputs.count > 2 ? written.initializers[node.inputs[2]]?.integers() ?? [] : []
            return Parameters(value: node.outputs[0], scales: scales, zeroPoints: zeros)
        }
        return GoldenMetrics(
            method: summary.method,
            nodes: summary.plan.nodes.map { Placement(node: $0.node, opType: $0.opType, quantized: $0.quantized) },
            parameters: parameters.sorted { $0.value < $1.value },
            sqnr: (summary.agreement?.sqnr ?? [:]).sorted { $0.key < $1.key }.map { OutputSQNR(output: $0.key, db: $0.value) })
    }

    /// Every way `self` (a new run) falls short of `golden`, one line each; empty when within tolerance.
    /// An SQNR gain is not a failure; a placement change, a new or missing parameter, or a moved
    /// scale is, whichever way it goes.
    func regressions(from golden: GoldenMetrics) -> [String] {
        var problems: [String] = []
        let now = Dictionary(sqnr.map { ($0.output, $0.db) }, uniquingKeysWith: { a, _ in a })
        for expected in golden.sqnr {
            guard let db = now[expected.output] else { problems.append("output \(expected.output): no SQNR measured"); continue }
            if !(db >= expected.db - Self.sqnrTolerance) {
                problems.append("output \(expected.output): SQNR \(Self.fixed(db)) dB, golden \(Self.fixed(expected.db)) dB (drop > \(Self.sqnrTolerance) dB)")
            }
        }
        let placed = Dictionary(nodes.map { ($0.node, $0.quantized) }, uniquingKeysWith: { a, _ in a })
        for expected in golden.nodes {
            guard let quantized = placed[expected.node] else { problems.append("node \(expected.node): missing"); continue }
            if quantized != expected.quantized {
                problems.append("node \(expected.node) (\(expected.opType)): \(Self.placement(quantized)), golden \(Self.placement(expected.quantized))")
            }
        }
        for extra in Set(placed.keys).subtracting(golden.nodes.map(\.node)).sorted() { problems.append("node \(extra): not in golden") }
        let params = Dictionary(parameters.map { ($0.value, $0) }, uniquingKeysWith: { a, _ in a })
        for expected in golden.parameters {
            guard let actual = params[expected.value] else { problems.append("\(expected.value): DequantizeLinear missing"); continue }
            problems += actual.changes(from: expected)
        }
        for extra in Set(params.keys).subtracting(golden.parameters.map(\.value)).sorted() { problems.append("\(extra): DequantizeLinear not in golden") }
        return problems
    }

    private static func placement(_ quantized: Bool) -> String { quantized ? "quantized" : "float" }

    static func fixed(_ value: Double) -> String { String(format: "%.2f", value) }
}

extension GoldenMetrics.Parameters {
    /// Scales moved by more than the tolerance, zero points by more than one code, or a changed count.
    func changes(from golden: Self) -> [String] {
        guard scales.count == golden.scales.count, zeroPoints.count == golden.zeroPoints.count else {
            return ["\(value): \(scales.count) scales / \(zeroPoints.count) zero points, golden \(golden.scales.count) / \(golden.zeroPoints.count)"]
        }
        var problems: [String] = []
        for (c, (s, g)) in zip(scales, golden.scales).enumerated() where !(abs(s - g) <= GoldenMetrics.scaleTolerance * abs(g)) {
            problems.append("\(value): scale[\(c)] \(s), golden \(g) (\(GoldenMetrics.fixed(Double((s - g) / g) * 100))%)")
        }
        for (c, (z, g)) in zip(zeroPoints, golden.zeroPoints).enumerated() where abs(z - g) > GoldenMetrics.zeroPointTolerance {
            problems.append("\(value): zero point[\(c)] \(z), golden \(g)")
        }
        return problems
    }
}
