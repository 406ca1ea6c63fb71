import QConvertIR

/// A graph ready to run: nodes in topological order, each with its compiled kernel, values numbered
/// into slots, and for every step the slots whose last reader it is (freed right after it runs).
///
/// Why slots and release lists: peak memory of a run is then the weights plus the activations that
/// are live at once, not every activation the model ever produced.
public final class CompiledGraph: Sendable {
    /// One node to run. A class, so walking the steps copies one reference per step instead of
    /// retaining every field (that was ~2% of a ppocr_cls run).
    final class Step: Sendable {
        let node: Node
        let kernel: Kernel
        let inputs: [Int?]
        let outputs: [Int?]
        /// Outer-scope values the node's subgraphs read: (name, slot here or nil if from further out).
        let scopeReads: [(String, Int?)]
        let release: [Int]

        init(node: Node, kernel: Kernel, inputs: [Int?], outputs: [Int?], scopeReads: [(String, Int?)], release: [Int]) {
            self.node = node
            self.kernel = kernel
            self.inputs = inputs
            self.outputs = outputs
            self.scopeReads = scopeReads
            self.release = release
        }
    }

    let steps: [Step]
    let slotNames: [String]
    let slotOfName: [String: Int]
    /// Slots holding constants (initializers, and node outputs computed at compile time from
    /// constants only), filled before every run.
    let constantSlots: [(Int, Tensor)]
    /// Graph inputs that also have an initializer: compiled as constants (weights packed, values
    /// folded), so feeding one would be silently ignored; it is refused instead.
    let constantInputs: Set<String>
    /// Graph inputs a caller must (or may, if an initializer gives a default) provide.
    let inputs: [ValueInfo]
    let outputNames: [String]
    /// Values read from an enclosing graph's scope at run time.
    let outerReads: [(String, Int)]

    /// Compiles `graph`. `outerScope`: names an enclosing graph makes visible (for subgraphs);
    /// `requantization`: how integer kernels requantize.
    /// `dequantizeBudget`: bytes that dequantized constants may add (see foldedOutputs).
    public init(graph: Graph, opsets: [String: Int], outerScope: Set<String> = [], outerConstants: [String: Tensor] = [:],
                requantization: Requantization = .float, dequantizeBudget: Int = CompiledGraph.dequantizedConstantBudget) throws {
        var constants = outerConstants
        for (name, tensor) in graph.initializers { constants[name] = tensor }
        var names: [String] = []
        var slotOf: [String: Int] = [:]
        func slot(_ name: String) -> Int {
            if let existing = slotOf[name] { return existing }
            slotOf[name] = names.count
            names.append(name)
            return names.count - 1
        }
        for input in graph.inputs { _ = slot(input.name) }
        for name in graph.initializers.keys { _ = slot(name) }

        let order = try graph.topologicalOrder()
        var pending: [(node: Node, kernel: Kernel, scopeNames: [String])] = []
        var dequantizeBudget = dequantizeBudget
        for index in order {
            let node = graph.nodes[index]
            let domain = Model.canonicalDomain(node.domain)
            let version = opsets[domain] ?? opsets[""] ?? 1
            // Only subgraphs read the scope; building it for every node cost nodes x values.
            let context = CompileContext(opsetVersion: version, opsets: opsets, constants: constants,
                                         outerScope: node.subgraphs.isEmpty ? outerScope : outerScope.union(names), requantization: requantization)
            let kernel: Kernel
            let folded: [Tensor]?
            do {
                guard let op = OpRegistry.lookup(type: node.opType, domain: domain) else {
                    // The others too, so that a user does not find them one run at a time.
                    let others = Set(graph.nodes.filter { OpRegistry.lookup(type: $0.opType, domain: $0.domain) == nil }
                        .map(\.opType)).subtracting([node.opType]).sorted()
                    throw QConvertError("op \(node.opType)\(domain.isEmpty ? "" : " (domain \(domain))") is not supported by qconvert's interpreter"
                                        + (others.isEmpty ? "" : " (nor are \(others.joined(separator: ", ")), also in this graph)"))
                }
                kernel = try op.compile(node, context)
                folded = try Self.foldedOutputs(node, domain: domain, kernel: kernel, constants: constants, budget: &dequantizeBudget)
            } catch let error as QConvertError {
                throw error.context("node '\(node.displayName)' (\(node.opType))")
            }
            if let folded {
                for (output, tensor) in zip(node.outputs, folded) where !output.isEmpty {
                    constants[output] = tensor
                    _ = slot(output)
                }
                continue
            }
            for output in node.outputs where !output.isEmpty { _ = slot(output) }
            let scopeNames = node.subgraphs.flatMap { $0.outerScopeReads() }
            pending.append((node, kernel, Array(Set(scopeNames)).sorted()))
        }

        // Values read but neither produced, fed nor constant here come from the enclosing scope.
        // Constants of an enclosing graph (an If branch reading the main graph's weights) get a slot
        // here too, filled with the other constants before each run.
        var outer: [(String, Int)] = []
        let producedHere = Set(graph.inputs.map(\.name)).union(constants.keys).union(pending.flatMap { $0.node.outputs })
        for entry in pending {
            for name in entry.node.inputs where !name.isEmpty && slotOf[name] == nil {
                if producedHere.contains(name) {
                    _ = slot(name)
                } else {
                    outer.append((name, slot(name)))
                }
            }
        }
        for output in graph.outputs where slotOf[output.name] == nil {
            outer.append((output.name, slot(output.name)))
        }

        var lastUse: [Int: Int] = [:]
        for (stepIndex, entry) in pending.enumerated() {
            for name in entry.node.inputs where !name.isEmpty { lastUse[slotOf[name]!] = stepIndex }
            for name in entry.scopeNames { if let s = slotOf[name] { lastUse[s] = stepIndex } }
        }
        let keep = Set(graph.outputs.compactMap { slotOf[$0.name] }).union(constants.keys.compactMap { slotOf[$0] })
        var releases = Array(repeating: [Int](), count: pending.count)
        for (slotIndex, step) in lastUse where !keep.contains(slotIndex) {
            releases[step].append(slotIndex)
        }
        steps = pending.enumerated().map { index, entry in
            Step(node: entry.node, kernel: entry.kernel,
                 inputs: entry.node.inputs.map { $0.isEmpty ? nil : slotOf[$0] },
                 outputs: entry.node.outputs.map { $0.isEmpty ? nil : slotOf[$0] },
                 scopeReads: entry.scopeNames.map { ($0, slotOf[$0]) },
                 release: releases[index].sorted())
        }
        slotNames = names
        slotOfName = slotOf
        constantSlots = constants.compactMap { name, tensor in slotOf[name].map { ($0, tensor) } }.sorted { $0.0 < $1.0 }
        constantInputs = Set(graph.inputs.map(\.name).filter { graph.initializers[$0] != nil })
        inputs = graph.inputs
        outputNames = graph.outputs.map(\.name)
        outerReads = outer
    }

    /// Runs the graph. `keep`: extra value names to return besides the graph outputs. `hook` sees
    /// every fed input and every value a node produces, in execution order (not values computed
    /// from constants only, which were folded when the graph was compiled).
    public func run(
        _ feeds: [String: Tensor], context: RunContext, keep: Set<String> = [],
        hook: ((String, Tensor) -> Void)? = nil, profile: OpProfile? = nil
    ) throws -> [String: Tensor] {
        var values = [Tensor?](repeating: nil, count: slotNames.count)
        for (slotIndex, tensor) in constantSlots { values[slotIndex] = tensor }
        for input in inputs {
            guard let slotIndex = slotOfName[input.name] else { continue }
            if let fed = feeds[input.name] {
                guard !constantInputs.contains(input.name) else {
                    throw QConvertError("input '\(input.name)' also has an initializer, which qconvert compiles as a constant; it cannot be fed")
                }
                values[slotIndex] = fed
                hook?(input.name, fed)
            } else if values[slotIndex] == nil {
                throw QConvertError("input '\(input.name)' was not given")
            }
        }
        for (name, slotIndex) in outerReads {
            guard let value = context.scope[name] else { throw QConvertError("value '\(name)' from the enclosing graph is not available") }
            values[slotIndex] = value
        }
        let keepSlots = Set(keep.compactMap { slotOfName[$0] })
        for step in steps {
            var stepContext = context
            if !step.scopeReads.isEmpty {
                var scope = context.scope
                for (name, slotIndex) in step.scopeReads {
                    if let slotIndex, let value = values[slotIndex] { scope[name] = value }
                }
                stepContext = RunContext(threads: context.threads, scope: scope)
            }
            let inputs = step.inputs.map { $0.flatMap { values[$0] } }
            let started = profile == nil ? 0 : OpProfile.now()
            let outputs: [Tensor]
            do {
                outputs = try step.kernel.run(inputs, stepContext)
            } catch let error as QConvertError {
                throw error.context("node '\(step.node.displayName)' (\(step.node.opType))")
            }
            profile?.record(step.node.opType, since: started)
            for (index, slotIndex) in step.outputs.enumerated() {
                guard let slotIndex else { continue }
                guard index < outputs.count else {
                    throw QConvertError("node '\(step.node.displayName)' (\(step.node.opType)) produced \(outputs.count) outputs, the graph reads output \(index + 1)")
                }
                values[slotIndex] = outputs[index]
                hook?(slotNames[slotIndex], outputs[index])
            }
            for slotIndex in step.release where keepSlots.isEmpty || !keepSlots.contains(slotIndex) {
                values[slotIndex] = nil
            }
        }
        var result: [String: Tensor] = [:]
        for name in outputNames + keep.sorted() {
            guard let slotIndex = slotOfName[name], let value = values[slotIndex] else {
                throw QConvertError("value '\(name)' was not produced")
            }
            result[name] = value
        }
        return result
    }
}
