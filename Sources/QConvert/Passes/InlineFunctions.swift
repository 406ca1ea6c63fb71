import OrderedCollections
import QConvertIR

/// Puts the body of each model-local function in place of every node that calls it, then drops the
/// functions, as ONNX Runtime does when it loads such a model.
///
/// Why: exporters (PyTorch's dynamo exporter, onnxscript) wrap layers in model-local functions, and
/// a node calling one is an op no kernel, shape rule or quantization rule knows. Runs first, so every
/// later pass and the interpreter see plain nodes.
///     Given:  function local::ConvRelu(x, w) -> y { c = Conv(x, w) {strides: @s}; y = Relu(c) }
///             out = local::ConvRelu(a, W) {s: [2, 2]}   (node "block")
///     Result: block/c = Conv(a, W) {strides: [2, 2]}; out = Relu(block/c)
/// Values made inside a body (in its subgraphs too) get fresh names prefixed by the calling node's
/// name. An attribute that refers to one of the function's (`ref_attr_name`) takes the call's value,
/// else the function's default, else is left out. Calls in bodies and in subgraphs are inlined too.
/// A default-domain function named like a standard op does not replace it (ONNX Runtime runs the op).
/// Refused: a function that calls itself, one whose opset imports differ from the model's, one with
/// an output none of its nodes makes, and inlining past `maximumNodes` nodes, subgraphs counted.
public struct InlineFunctions: Pass {
    public let name = "inline-functions"
    /// The most nodes the bodies may put in: a function calling another twice, 30 deep, would make 2^30.
    let maximumNodes: Int

    public init(maximumNodes: Int = 1_000_000) {
        self.maximumNodes = maximumNodes
    }

    public func run(_ model: inout Model, _ context: PassContext) throws -> PassReport {
        guard !model.functions.isEmpty else { return .unchanged }
        var inliner = try Inliner(model, maximumNodes: maximumNodes)
        model.graph = try inliner.inline(model.graph, calling: [])
        try inliner.addOpsetImports(to: &model)
        let defined = model.functions.count
        model.functions = []
        let unused = defined - inliner.used.count
        return PassReport(changes: max(inliner.calls, defined),
                          summary: "\(Formatting.count(inliner.calls, "call")) of \(Formatting.count(inliner.used.count, "local function")) inlined"
                              + (unused > 0 ? ", \(Formatting.count(unused, "unused function")) dropped" : ""))
    }
}

/// The functions of one model by domain and name, and the inlining state: the names handed out so
/// far, the calls made and the functions used.
private struct Inliner {
    let functions: [String: LocalFunction]
    var names: NameScope
    var calls = 0
    var used: Set<String> = []
    let maximumNodes: Int
    /// Nodes the bodies put in so far.
    var inlined = 0

    init(_ model: Model, maximumNodes: Int) throws {
        self.maximumNodes = maximumNodes
        var table: [String: LocalFunction] = [:]
        for function in model.functions {
            guard function.overload.isEmpty else {
                throw QConvertError("function '\(function.displayName)' has overload '\(function.overload)': overloaded local functions (IR 10) are not supported")
            }
            let key = Self.key(domain: function.domain, name: function.name)
            guard table[key] == nil else { throw QConvertError("function '\(function.displayName)' is defined twice") }
            table[key] = function
        }
        functions = table
        names = NameScope(model.graph)
    }

    static func key(domain: String, name: String) -> String {
        Model.canonicalDomain(domain) + "::" + name
    }

    /// `graph` with every call in it and in its subgraphs replaced by the callee's body; `calling`
    /// holds the functions whose bodies are being inlined, to catch recursion.
    mutating func inline(_ graph: Graph, calling: [String]) throws -> Graph {
        var graph = graph
        graph.nodes = try inline(graph.nodes, calling: calling)
        return graph
    }

    private mutating func inline(_ nodes: [Node], calling: [String]) throws -> [Node] {
        var result: [Node] = []
        for var node in nodes {
            try node.updateSubgraphs { $0 = try inline($0, calling: calling) }
            let key = Self.key(domain: node.domain, name: node.opType)
            // A function named like a standard op of the default domain does not replace the op:
            // ONNX Runtime runs the op.
            guard let function = functions[key], !(node.isDefaultDomain && OpRegistry.lookup(type: node.opType, domain: "") != nil) else {
                result.append(node)
                continue
            }
            guard !calling.contains(key) else {
                throw QConvertError("node '\(node.displayName)': function '\(function.displayName)' calls itself")
            }
            calls += 1
            used.insert(key)
            inlined += Self.nodeCount(function.nodes)
            guard inlined <= maximumNodes else {
                throw QConvertError("node '\(node.displayName)': inlining local functions would make more than \(Formatting.grouped(maximumNodes)) nodes")
            }
            result += try inline(try body(of: function, calledBy: node), calling: calling + [key])
        }
        return result
    }

    /// The nodes of `function` as `call` runs them: formal inputs and outputs replaced by the call's,
    /// the values and nodes the body makes (in its subgraphs too) freshly named, attribute references
    /// resolved (in its subgraphs too).
    private mutating func body(of function: LocalFunction, calledBy call: Node) throws -> [Node] {
        let context = "node '\(call.displayName)' (function '\(function.displayName)')"
        guard call.inputs.count <= function.inputs.count, call.outputs.count <= function.outputs.count else {
            let has = Formatting.count(call.inputs.count, "input") + " and " + Formatting.count(call.outputs.count, "output")
            let takes = Formatting.count(function.inputs.count, "input") + " and " + Formatting.count(function.outputs.count, "output")
            throw QConvertError("\(context): the call has \(has); the function takes \(takes)")
        }
        // An output no node makes (an input passed through) has nothing to rename: ONNX Runtime
        // refuses such a function too.
        let made = Set(function.nodes.flatMap(\.outputs))
        if let output = function.outputs.first(where: { !made.contains($0) }) {
            throw QConvertError("\(context): the function's output '\(output)' is made by none of its nodes")
        }
        var rename: [String: String] = ["": ""]
        for (k, formal) in function.inputs.enumerated() { rename[formal] = k < call.inputs.count ? call.inputs[k] : "" }
        for (k, formal) in function.outputs.enumerated() where k < call.outputs.count && !call.outputs[k].isEmpty {
            rename[formal] = call.outputs[k]
        }
        let prefix = call.name.isEmpty ? call.outputs.first { !$0.isEmpty } ?? function.name : call.name
        for node in function.nodes {
            for output in node.outputs where rename[output] == nil { rename[output] = names.fresh("\(prefix)/\(output)") }
        }
        let given = Dictionary(call.attributes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let defaults = Dictionary(function.attributeDefaults.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let resolve = { (attribute: Attribute) -> Attribute? in
            guard !attribute.refAttrName.isEmpty else { return attribute }
            guard var value = given[attribute.refAttrName] ?? defaults[attribute.refAttrName] else { return nil }
            value.name = attribute.name
            return value
        }
        return try function.nodes.map { original in
            var node = original
            node.name = names.fresh("\(prefix)/\(original.name.isEmpty ? original.opType : original.name)")
            node.inputs = try original.inputs.map { input in
                guard let actual = rename[input] else {
                    throw QConvertError("\(context): its node '\(original.displayName)' reads '\(input)', which is neither an input of the function nor made in it")
                }
                return actual
            }
            node.outputs = original.outputs.map { rename[$0] ?? $0 }
            node.attributes = original.attributes.compactMap(resolve)
            node.updateSubgraphs { $0 = instantiate($0, rename, prefix: prefix, resolve: resolve) }
            return node
        }
    }

    /// A subgraph of a body node as this call runs it: the values it binds (inputs, initializers,
    /// node outputs) freshly named, since a second call or the main graph may use the same names;
    /// the values it reads from around it renamed by `outer`; attribute references resolved.
    private mutating func instantiate(_ graph: Graph, _ outer: [String: String], prefix: String,
                                      resolve: (Attribute) -> Attribute?) -> Graph {
        var rename = outer
        let bound = graph.inputs.map(\.name) + Array(graph.initializers.keys) + graph.nodes.flatMap(\.outputs)
        for name in bound where !name.isEmpty { rename[name] = names.fresh("\(prefix)/\(name)") }
        let renamed = { (name: String) in rename[name] ?? name }
        var result = graph
        for index in result.inputs.indices { result.inputs[index].name = renamed(result.inputs[index].name) }
        for index in result.outputs.indices { result.outputs[index].name = renamed(result.outputs[index].name) }
        result.initializers = OrderedDictionary(uniqueKeysWithValues: graph.initializers.map { (renamed($0.key), $0.value) })
        result.valueInfo = OrderedDictionary(uniqueKeysWithValues: graph.valueInfo.map { key, info in
            var info = info
            info.name = renamed(key)
            return (renamed(key), info)
        })
        for index in result.nodes.indices {
            result.nodes[index].inputs = result.nodes[index].inputs.map(renamed)
            result.nodes[index].outputs = result.nodes[index].outputs.map(renamed)
            result.nodes[index].attributes = result.nodes[index].attributes.compactMap(resolve)
            result.nodes[index].updateSubgraphs { $0 = instantiate($0, rename, prefix: prefix, resolve: resolve) }
        }
        return result
    }

    /// Nodes in `nodes` and in their subgraphs.
    static func nodeCount(_ nodes: [Node]) -> Int {
        nodes.reduce(0) { $0 + 1 + $1.subgraphs.reduce(0) { $0 + nodeCount($1.nodes) } }
    }

    /// Adds to `model` the opset imports of the functions inlined; a domain imported at two versions
    /// would run the body under another op set than it was written for, so it is refused.
    func addOpsetImports(to model: inout Model) throws {
        for key in used.sorted() {
            let function = functions[key]!
            for opset in function.opsetImports {
                guard let version = model.opsetVersion(domain: opset.domain) else {
                    model.opsetImports.append(opset)
                    continue
                }
                guard version == opset.version else {
                    let domain = Model.canonicalDomain(opset.domain).isEmpty ? "the default domain" : "domain '\(opset.domain)'"
                    throw QConvertError("function '\(function.displayName)' imports \(domain) at opset \(opset.version), the model at \(version)")
                }
            }
        }
    }
}
