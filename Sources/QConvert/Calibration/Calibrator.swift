import Dispatch
import Foundation
import QConvertIR

/// Runs a model over a calibration dataset and streams the chosen values into histograms.
///
/// Samples are handed out one at a time to `threads` workers (one sample per worker; kernels get
/// the threads left over when there are fewer samples than threads). Each worker observes the values
/// through the interpreter's hook into its own histograms, and drops the sample and every
/// activation before taking the next, so memory is the model, one sample and its live activations
/// per worker, plus `tensors x 2048` counts per worker, whatever the number of samples. Worker
/// histograms are merged at the end; merging is exact, so the statistics do not depend on the thread
/// count or on which worker ran which sample.
public enum Calibrator {
    /// How to calibrate: parallelism and which values to observe.
    public struct Options: Sendable {
        /// Workers (and kernel threads when there are fewer samples than workers).
        public var threads: Int
        /// Values to observe; nil: every float activation (see `activationNames`).
        public var tensors: [String]?

        public init(threads: Int = Parallel.defaultThreads, tensors: [String]? = nil) {
            self.threads = max(1, threads)
            self.tensors = tensors
        }
    }

    /// Calibrates `model` on `dataset`; `progress` is called with the number of samples done after
    /// each one (from worker threads).
    public static func calibrate(
        _ model: Model, dataset: CalibrationDataset, options: Options = Options(),
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> CalibrationStats {
        let taps = try Set(options.tensors.map { try checkedNames($0, in: model.graph) } ?? activationNames(model.graph))
        let workers = max(1, min(options.threads, dataset.count))
        let interpreter = try Interpreter(model: model, threads: max(1, options.threads / workers))
        let state = RunState(total: dataset.count, workers: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var histograms: [String: Histogram] = [:]
            while let index = state.claim() {
                do {
                    _ = try dataset.withSample(index) { feeds in
                        state.record(SampleDigest.of(feeds), sample: index)
                        return try interpreter.run(feeds) { name, tensor in
                            guard taps.contains(name), tensor.dataType == .float else { return }
                            tensor.withElements(of: Float.self) { histograms[name, default: Histogram()].add($0) }
                        }
                    }
                } catch {
                    state.fail(index, error)
                    break
                }
                progress?(state.finishOne())
            }
            state.store(histograms, worker: worker)
        }
        if let error = state.firstError { throw error }
        var merged: [String: Histogram] = [:]
        for partial in state.results {
            for (name, histogram) in partial { merged[name, default: Histogram()].merge(histogram) }
        }
        return CalibrationStats(model: .init(model), sampleCount: dataset.count, samples: dataset.sources,
                                sampleDigests: state.digests, tensors: merged)
    }

    /// The values calibrated by default: the runtime inputs and every node output that depends on
    /// one (so not weights, nor values computed from constants only), in graph order, except the
    /// outputs of ops whose range is known in advance (Sigmoid: [0, 1]) that no compute layer reads:
    /// quantization takes their range from the op (yolov8n's 57 SiLU gates are a third of what it
    /// would otherwise observe). Only float32 ones are observed, which is known when they are produced.
    public static func activationNames(_ graph: Graph) throws -> [String] {
        var names = graph.runtimeInputs.map(\.name)
        var dynamic = Set(names)
        let constants = Set(graph.initializers.keys), consumers = graph.consumers()
        func rule(_ node: Node) throws -> QuantizationRule? { try QuantizationRule.of(node, isConstant: { constants.contains($0) }) }
        for index in try graph.topologicalOrder() {
            let node = graph.nodes[index]
            let reads = node.inputs + node.subgraphs.flatMap { $0.outerScopeReads() }
            guard reads.contains(where: dynamic.contains) else { continue }
            var rangeKnown = false
            if case .fixedRange? = try rule(node).map(\.kind) {
                rangeKnown = try node.outputs.allSatisfy { output in
                    try (consumers[output] ?? []).allSatisfy { reader in
                        guard case .compute? = try rule(graph.nodes[reader]).map(\.kind) else { return true }
                        return false
                    } && !graph.isOutput(output)
                }
            }
            for output in node.outputs where !output.isEmpty && dynamic.insert(output).inserted && !rangeKnown {
                names.append(output)
            }
        }
        return names
    }

    static func checkedNames(_ names: [String], in graph: Graph) throws -> [String] {
        let known = Set(graph.inputs.map(\.name)).union(graph.nodes.flatMap(\.outputs))
        if let unknown = names.first(where: { !known.contains($0) }) {
            throw QConvertError("the model has no value named '\(unknown)' to calibrate")
        }
        return names
    }
}

/// Shared state of one calibration run: the next sample to hand out, samples done, the first
/// failure (by sample order), and each worker's histograms.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private let total: Int
    private var next = 0
    private var done = 0
    private var failures: [(index: Int, error: QConvertError)] = []
    private(set) var results: [[String: Histogram]]
    private(set) var digests: [String]

    init(total: Int, workers: Int) {
        self.total = total
        results = Array(repeating: [:], count: workers)
        digests = Array(repeating: "", count: total)
    }

    func record(_ digest: String, sample index: Int) {
        lock.withLock { digests[index] = digest }
    }

    /// The next sample index, or nil when all are handed out or a sample failed.
    func claim() -> Int? {
        lock.withLock {
            guard next < total, failures.isEmpty else { return nil }
            next += 1
            return next - 1
        }
    }

    func finishOne() -> Int {
        lock.withLock {
            done += 1
            return done
        }
    }

    /// Records sample `index`'s error (which names the sample: `CalibrationDataset.withSample`).
    func fail(_ index: Int, _ error: Error) {
        let described = (error as? QConvertError) ?? QConvertError(String(describing: error))
        lock.withLock { failures.append((index, described)) }
    }

    func store(_ histograms: [String: Histogram], worker: Int) {
        lock.withLock { results[worker] = histograms }
    }

    /// The failure of the earliest sample, so the error reported does not depend on thread timing
    /// more than it must.
    var firstError: QConvertError? {
        lock.withLock { failures.min { $0.index < $1.index }?.error }
    }
}
