import Foundation
import QConvertIR
import QConvertONNX

/// Saving, loading, merging and turning statistics into ranges: the library API behind
/// `calibrate`, `merge-stats`, and `quantize --save-stats/--load-stats/--method`.
extension CalibrationStats {
    /// Writes the statistics as JSON, atomically (nothing is left behind on failure).
    public func save(to path: String) throws {
        try staged(at: path).commit()
    }

    /// The statistics written under a temporary name beside `path`, put in place by `commit()`: a
    /// run that writes them with another output commits both only once that one is written too.
    public func staged(at path: String) throws -> AtomicFile {
        let text = try JSONText.encode(self, pretty: false) + "\n"
        let file = try AtomicFile(destination: path)
        try file.write(Array(text.utf8))
        return file
    }

    /// Reads a statistics file; every failure is one line naming the file.
    public static func load(path: String) throws -> CalibrationStats {
        var data = Data()
        do {
            let file = try MappedFile(path: path)
            data = file.bytes.isEmpty ? Data() : Data(file.bytes)
            return try JSONText.decode(CalibrationStats.self, from: data)
        } catch let error as QConvertError {
            throw error.context(path)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty && (try? JSONSerialization.jsonObject(with: data)) != nil {
            // Foundation says "not valid JSON", and where, for valid JSON whose number does not fit
            // its field; it gives no location either.
            throw QConvertError("\(path): not a valid statistics file: a number does not fit its field (counts, versions and exponents are whole numbers in range)")
        } catch let error as DecodingError {
            throw QConvertError("\(path): not a valid statistics file: \(Self.describe(error))")
        } catch {
            throw QConvertError("\(path): not a valid statistics file: \(error)")
        }
    }

    /// Fails unless these statistics were gathered on `model` (same `ModelFingerprint`).
    public func check(against model: Model) throws {
        let identity = ModelIdentity(model)
        guard identity.fingerprint == self.model.fingerprint else {
            throw QConvertError("statistics are for another model (fingerprint \(self.model.fingerprint), inputs \(self.model.inputs.joined(separator: ", ")); this model's fingerprint is \(identity.fingerprint))")
        }
        // The fingerprint is the model's, but the histograms are the file's: an edited or cut file
        // would otherwise quantize the tensors it lacks as if nothing had been observed. Only values
        // declared float32 are certain to have one (calibration observes float32 values only, and
        // learns a value's type when it is produced: a Shape's int64 output has none).
        for name in try Calibrator.activationNames(model.graph)
        where tensors[name] == nil && model.graph.declaredType(of: name)?.elementType == .float {
            throw QConvertError("statistics have no histogram for tensor '\(name)' of this model (the file is incomplete or was edited)")
        }
        // What `merge-stats` refuses between files, refused against the model too.
        guard self.model.inputs == identity.inputs else {
            throw QConvertError("statistics name the model's inputs \(self.model.inputs.map { "'\($0)'" }.joined(separator: ", ")), "
                                + "this model's are \(identity.inputs.map { "'\($0)'" }.joined(separator: ", ")) (the file was edited)")
        }
        // A histogram for a value the model does not have. (One it has but no longer calibrates is
        // allowed: older versions also observed fixed-range outputs such as a final Softmax.)
        let values = Set(model.graph.runtimeInputs.map(\.name) + model.graph.nodes.flatMap(\.outputs))
        if let extra = tensors.keys.filter({ !values.contains($0) }).min() {
            throw QConvertError("statistics have a histogram for '\(extra)', which is not a value of this model (the file was edited)")
        }
    }

    /// Fails when an output of `model` was NaN or infinite on the samples: the float model itself
    /// overflowed (inputs far outside what it was trained on), so that output has no range to
    /// quantize to. `quantize --calib` refuses such samples when it measures the outputs; `calibrate`
    /// and `--load-stats` wrote and used the statistics without a word.
    public func checkOutputsFinite(of model: Model) throws {
        for output in model.graph.outputs {
            guard let histogram = tensors[output.name], histogram.nonFinite > 0 else { continue }
            throw QConvertError("the float model's output '\(output.name)' was NaN or infinite for \(histogram.nonFinite) of its "
                                + "\(histogram.nonFinite + histogram.count) values on the calibration samples, so it has no range to quantize to")
        }
    }

    /// Statistics of all `parts` together: exactly what one calibration over all their samples
    /// gives (histograms merge exactly), samples in the order of `parts`. All parts must describe the
    /// same model.
    public static func merged(_ parts: [CalibrationStats]) throws -> CalibrationStats {
        guard var result = parts.first else { throw QConvertError("nothing to merge") }
        for (index, part) in parts.enumerated().dropFirst() {
            guard part.model.fingerprint == result.model.fingerprint else {
                throw QConvertError("statistics \(index + 1) are for another model (fingerprint \(part.model.fingerprint), the first's is \(result.model.fingerprint))")
            }
            guard part.model.inputs == result.model.inputs else {
                let list = { (inputs: [String]) in inputs.map { "'\($0)'" }.joined(separator: ", ") }
                throw QConvertError("statistics \(index + 1) name the model's inputs \(list(part.model.inputs)), the first \(list(result.model.inputs)) (a file was edited)")
            }
            if let name = Set(part.tensors.keys).symmetricDifference(result.tensors.keys).min() {
                throw QConvertError("statistics \(index + 1) and the first do not both have tensor '\(name)' (a file is incomplete or was edited)")
            }
            result.sampleCount = try checkedSum(result.sampleCount, part.sampleCount, "sample counts")
            result.samples += part.samples
            // Digests only when every part has them: a part without would leave samples unmatched.
            result.sampleDigests = result.sampleDigests.flatMap { mine in part.sampleDigests.map { mine + $0 } }
            for (name, histogram) in part.tensors {
                // Counts come from files: a sum past Int is an error here rather than a trap in merge.
                let mine = result.tensors[name] ?? Histogram()
                _ = try checkedSum(mine.count, histogram.count, "counts of tensor '\(name)'")
                _ = try checkedSum(mine.nonFinite, histogram.nonFinite, "non-finite counts of tensor '\(name)'")
                result.tensors[name, default: Histogram()].merge(histogram)
            }
        }
        return result
    }

    private static func checkedSum(_ a: Int, _ b: Int, _ what: String) throws -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw QConvertError("\(what) add up to more than \(Int.max)") }
        return sum
    }

    /// The clipping range of every tensor with data, by `method` on `scheme`'s grid (tensors
    /// without a finite value are left out). Tensors are spread over `threads` threads; each result
    /// depends on its own histogram only. Fails for a percentile the observer cannot use.
    public func ranges(
        method: CalibrationMethod, scheme: QuantizationScheme, threads: Int = Parallel.defaultThreads
    ) throws -> [String: ClosedRange<Float>] {
        let observer = try method.observer()
        let names = tensors.keys.sorted().filter { tensors[$0]!.count > 0 }
        let histograms = names.map { tensors[$0]! }
        var results = [ClosedRange<Float>](repeating: 0...0, count: names.count)
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(count: names.count, grain: 1, threads: threads) { range in
                for index in range { out[index] = observer.range(histograms[index], scheme: scheme) }
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(names, results))
    }

    /// One line for a JSON decoding failure: what was wrong and where.
    static func describe(_ error: DecodingError) -> String {
        // Keys as the file spells them: the decoder reports the Swift property names (sampleCount).
        func snakeCase(_ key: String) -> String {
            key.reduce(into: "") { $0 += $1.isUppercase ? "_" + $1.lowercased() : String($1) }
        }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + snakeCase($0.stringValue) }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(snakeCase(key.stringValue))'\(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(context.debugDescription.split(separator: "\n").first ?? "corrupt JSON")\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
