import QConvertIR

extension Ops {
    /// Loop: runs `body` while the trip count M (optional int64) is not reached and the condition holds:
    ///     i = 0; v = v_initial; cond = the cond input, or true when it is absent
    ///     while (M absent or i < M) and cond:
    ///         cond, v, s = body(i, cond, v);  i += 1
    /// The outputs are the final loop-carried values v, then each scan output s stacked along a new
    /// first axis. The body may read values of the enclosing graphs (through the run context's scope).
    /// As in ONNX Runtime, the body's condition output decides even when the cond input is absent
    /// (the spec's table would ignore it). At most 2^20 iterations run: a larger M is refused, and a loop
    /// without M still going then is stopped, so a hostile model cannot hang the tool.
    enum Loop: Operator {
        static let type = "Loop"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let graph = try node.graph("body")
            let carried = max(0, node.inputs.count - 2)
            guard graph.inputs.count == 2 + carried else {
                throw QConvertError("body takes \(graph.inputs.count) inputs; Loop passes the iteration number, the condition and \(carried) loop-carried values")
            }
            guard graph.outputs.count >= 1 + carried else {
                throw QConvertError("body returns \(graph.outputs.count) outputs, fewer than the condition and \(carried) loop-carried values")
            }
            let body = try context.compileSubgraph(graph, outerScope: [])
            let scanTypes = graph.outputs.dropFirst(1 + carried).map(\.tensorType)
            let names = graph.inputs.map(\.name)
            return Kernel { inputs, context in
                let tripCount = try inputs.count > 0 ? inputs[0].map { try $0.intScalar("M") } : nil
                if let tripCount, tripCount > iterationLimit {
                    throw QConvertError("trip count M = \(tripCount) is above \(iterationLimit), the most iterations qconvert runs")
                }
                var condition = try inputs.count > 1 ? inputs[1].map(truth) ?? true : true
                var values = try (0..<carried).map { try inputs.required(2 + $0, "v_initial[\($0)]") }
                var scans = Array(repeating: [Tensor](), count: scanTypes.count)
                var iteration = 0
                while tripCount.map({ iteration < $0 }) ?? true, condition {
                    guard iteration < iterationLimit else {
                        throw QConvertError("ran \(iterationLimit) iterations without a trip count and its condition still holds; stopped there")
                    }
                    var feeds = [names[0]: Tensor(scalar: Int64(iteration)), names[1]: Tensor(shape: [], dataType: .bool, of: UInt8.self) { $0[0] = 1 }]
                    for (k, value) in values.enumerated() { feeds[names[2 + k]] = value }
                    let results = try body.run(feeds, context: context)
                    let outputs = body.outputNames.map { results[$0]! }
                    condition = try truth(outputs[0])
                    values = Array(outputs[1..<(1 + carried)])
                    for k in scans.indices { scans[k].append(outputs[1 + carried + k].reshaped([1] + outputs[1 + carried + k].shape)) }
                    iteration += 1
                }
                let stacked = try zip(scans, scanTypes).map { parts, declared in
                    parts.isEmpty ? emptyStack(declared, axis: 0) : try Concat.join(parts, axis: 0, threads: context.threads)
                }
                return values + stacked
            }
        }

        /// What a body that never ran stacks for a scan output it declares as `declared`: no slices
        /// along `axis`, the declared dims elsewhere (unknown ones 0), the declared type (float if none).
        static func emptyStack(_ declared: TensorType?, axis: Int) -> Tensor {
            var dims = (declared?.shape ?? []).map { if case .value(let v) = $0 { v } else { 0 } }
            dims.insert(0, at: min(max(0, axis < 0 ? axis + dims.count + 1 : axis), dims.count))
            return Tensor(dataType: declared?.elementType ?? .float, shape: dims, storage: TensorStorage(uninitializedByteCount: 0) { _ in })
        }

        /// The most iterations a loop may run.
        static let iterationLimit = 1 << 20

        /// The value of a one-element bool tensor.
        static func truth(_ tensor: Tensor) throws -> Bool {
            guard tensor.dataType == .bool, tensor.count == 1 else {
                throw QConvertError("cond must be a single bool, got \(tensor.dataType) of shape \(tensor.shape)")
            }
            return tensor.scalars(of: UInt8.self)[0] != 0
        }
    }
}
