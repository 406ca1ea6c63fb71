import QConvertIR

/// An ONNX operator qconvert can execute. Each conforming type lives in `Ops/<OpType>.swift` inside
/// the `Ops` namespace (so `Ops.Range` does not shadow Swift's `Range`).
///
/// Why compile-then-run: attributes are parsed and checked once per node, not once per sample, a bad
/// attribute fails when the model is loaded (naming the node), and a kernel may pre-pack constant
/// inputs such as convolution weights.
public protocol Operator {
    /// The ONNX op type, spelled as ONNX spells it.
    static var type: String { get }
    /// The ONNX domain: "" for the default domain, "com.microsoft" for ONNX Runtime's contrib ops.
    static var domain: String { get }
    /// Checks the node and returns the function computing its outputs.
    static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel
}

extension Operator {
    public static var domain: String { "" }
}

/// Namespace for operator types: `Ops.Conv`, `Ops.Relu`, ...
public enum Ops {}

/// A compiled node: maps its input tensors (nil for omitted optional inputs) to its outputs.
public struct Kernel: Sendable {
    public let run: @Sendable (_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor]

    public init(_ run: @escaping @Sendable (_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor]) {
        self.run = run
    }
}

/// What an operator may know while compiling a node.
public struct CompileContext {
    /// The opset version of the node's domain (semantics of several ops changed across versions).
    public let opsetVersion: Int
    /// The model's imported opsets, for compiling subgraphs.
    public let opsets: [String: Int]
    /// Values whose tensors are known before running (initializers and folded constants), by name.
    public let constants: [String: Tensor]
    /// Values visible from enclosing graphs, for compiling subgraphs that read them.
    public let outerScope: Set<String>
    /// How the integer kernels requantize their accumulators (one choice for the whole model).
    public let requantization: Requantization

    /// The tensor of input `index` of `node` if it is a constant.
    public func constant(_ node: Node, input index: Int) -> Tensor? {
        guard index < node.inputs.count, !node.inputs[index].isEmpty else { return nil }
        return constants[node.inputs[index]]
    }

    /// Compiles a subgraph (an If branch, a Loop body) that may read `outerScope` values.
    public func compileSubgraph(_ graph: Graph, outerScope: Set<String>) throws -> CompiledGraph {
        try CompiledGraph(graph: graph, opsets: opsets, outerScope: self.outerScope.union(outerScope), outerConstants: constants,
                          requantization: requantization)
    }
}

/// What a kernel may use while running.
public struct RunContext: Sendable {
    /// How many threads a kernel may split its work over.
    public let threads: Int
    /// Values of enclosing graphs, by name, for running subgraphs.
    public let scope: [String: Tensor]

    public init(threads: Int, scope: [String: Tensor] = [:]) {
        self.threads = threads
        self.scope = scope
    }
}
