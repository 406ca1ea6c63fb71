import CKernels
import QConvertIR

/// Runs an ONNX model in Swift: the float kernels calibration uses, and the integer reference kernels
/// that show what a quantized model computes.
///
/// Usage: `try Interpreter(model: m).run(["x": tensor])`. Shapes are resolved at run time (dynamic
/// batch, H, W). An op qconvert lacks fails at construction, naming the op and node.
public final class Interpreter: Sendable {
    public let model: Model
    public let graph: CompiledGraph
    /// Threads a kernel may use for one node.
    public let threads: Int

    /// `requantization`: how the integer kernels bring accumulators back to 8 bits (ONNX Runtime's
    /// float multiply by default, or integer-only fixed point).
    public init(model: Model, threads: Int = Parallel.defaultThreads, requantization: Requantization = .float) throws {
        var model = model
        // A node calling a model-local function runs its body (ONNX Runtime inlines them too).
        _ = try InlineFunctions().run(&model, PassContext())
        try SupportedOpsets.check(model)
        Self.allocatorPolicy
        self.model = model
        self.threads = max(1, threads)
        let opsets = model.opsetVersions
        graph = try CompiledGraph(graph: model.graph, opsets: opsets, requantization: requantization)
    }

    /// Once per process: freed activations stay in malloc's heap for the next sample instead of going
    /// back to the kernel (page faults and their zeroing were ~20% of a ppocr_cls run). Peak RSS is
    /// then the heap's high-water mark, which freeing values after their last reader keeps to weights
    /// plus live activations.
    private static let allocatorPolicy: Void = qc_retain_freed_memory()

    /// Runs the model on named inputs and returns its outputs (plus any `keep` values), after checking
    /// each input against the declared element type and fixed dimensions.
    public func run(
        _ inputs: [String: Tensor], keep: Set<String> = [], hook: ((String, Tensor) -> Void)? = nil,
        profile: OpProfile? = nil
    ) throws -> [String: Tensor] {
        try checkInputs(inputs)
        return try graph.run(inputs, context: RunContext(threads: threads), keep: keep, hook: hook, profile: profile)
    }

    /// The inputs a caller must feed (graph inputs that are not initializers).
    public var runtimeInputs: [ValueInfo] { model.graph.runtimeInputs }

    /// Element type, rank and fixed dimensions of one tensor against the input it feeds (symbolic
    /// and unknown dimensions take any size). `source`, the file the tensor was read from, leads
    /// the message: the file is what the user has to fix.
    static func check(_ tensor: Tensor, against input: ValueInfo, source: String? = nil) throws {
        guard let type = input.tensorType else { return }
        let subject = (source.map { "\($0): " } ?? "") + "input '\(input.name)'"
        guard tensor.dataType == type.elementType else {
            throw QConvertError("\(subject) must be \(type.elementType), got \(tensor.dataType)")
        }
        guard let dims = type.shape else { return }
        let expected = "[" + dims.map(\.description).joined(separator: ", ") + "]"
        guard dims.count == tensor.rank else {
            throw QConvertError("\(subject) must have shape \(expected), got \(tensor.shape)")
        }
        for (axis, dim) in dims.enumerated() {
            if case .value(let size) = dim, size > 0, tensor.shape[axis] != size {
                throw QConvertError("\(subject) must have shape \(expected), got \(tensor.shape) (axis \(axis))")
            }
        }
    }

    func checkInputs(_ inputs: [String: Tensor]) throws {
        let known = Set(model.graph.inputs.map(\.name))
        for name in inputs.keys.sorted() where !known.contains(name) {
            throw QConvertError("the model has no input named '\(name)' (inputs: \(runtimeInputs.map(\.name).joined(separator: ", ")))")
        }
        for input in runtimeInputs {
            guard let tensor = inputs[input.name] else {
                throw QConvertError("input '\(input.name)' was not given")
            }
            try Self.check(tensor, against: input)
        }
    }
}
