import QConvertIR

extension Ops {
    /// Scan (opset 9 and later): runs `body` once per slice of the scan inputs, carrying N state
    /// values from one step to the next:
    ///     s = initial states;  for t in 0..<L:  s, y_t = body(s, x_1[t], ..., x_M[t])
    /// where x_m[t] is scan input m's slice t along `scan_input_axes[m]` (counted from the end when
    /// `scan_input_directions[m]` is 1) and L their common length. The outputs are the final states,
    /// then each scan output y stacked along `scan_output_axes[k]` (in reverse order when
    /// `scan_output_directions[k]` is 1). The body may read values of the enclosing graphs.
    /// Exporters that unroll no recurrence (tf2onnx's older LSTM exports) write their loops this way.
    enum Scan: Operator {
        static let type = "Scan"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            guard context.opsetVersion >= 9 else {
                throw QConvertError("opset \(context.opsetVersion) Scan (batched, with sequence_lens) is not supported; opset 9 and later are")
            }
            let graph = try node.graph("body")
            let scanned = try node.int("num_scan_inputs")
            let carried = node.inputs.count - scanned
            guard scanned >= 1, carried >= 0 else {
                throw QConvertError("num_scan_inputs = \(scanned) must be between 1 and the \(node.inputs.count) inputs")
            }
            guard graph.inputs.count == node.inputs.count, graph.outputs.count >= carried else {
                throw QConvertError("body takes \(graph.inputs.count) inputs and returns \(graph.outputs.count) outputs; Scan passes \(carried) states and \(scanned) slices and needs the states back")
            }
            let outputs = graph.outputs.count - carried
            let inputAxes = try node.ints("scan_input_axes") ?? Array(repeating: 0, count: scanned)
            let inputReversed = try directions(node, "scan_input_directions", count: scanned)
            let outputAxes = try node.ints("scan_output_axes") ?? Array(repeating: 0, count: outputs)
            let outputReversed = try directions(node, "scan_output_directions", count: outputs)
            guard inputAxes.count == scanned, outputAxes.count == outputs else {
                throw QConvertError("scan_input_axes has \(inputAxes.count) entries for \(scanned) scan inputs, scan_output_axes \(outputAxes.count) for \(outputs) scan outputs")
            }
            let body = try context.compileSubgraph(graph, outerScope: [])
            let names = graph.inputs.map(\.name)
            let scanTypes = graph.outputs.dropFirst(carried).map(\.tensorType)
            return Kernel { inputs, context in
                var states = try (0..<carried).map { try inputs.required($0, "initial_state[\($0)]") }
                let sequences = try (0..<scanned).map { try inputs.required(carried + $0, "scan_input[\($0)]") }
                let axes = try zip(sequences, inputAxes).map { try Axes.normalize($0.1, rank: $0.0.rank) }
                let length = sequences[0].shape[axes[0]]
                guard zip(sequences, axes).allSatisfy({ $0.shape[$1] == length }) else {
                    throw QConvertError("scan inputs differ in length along their scan axes: \(zip(sequences, axes).map { $0.shape[$1] })")
                }
                var slices = Array(repeating: [Tensor](), count: outputs)
                for t in 0..<length {
                    var feeds: [String: Tensor] = [:]
                    for (k, state) in states.enumerated() { feeds[names[k]] = state }
                    for m in 0..<scanned {
                        let index = inputReversed[m] ? length - 1 - t : t
                        feeds[names[carried + m]] = try Gather.take(sequences[m], along: axes[m], picks: [index], indexShape: [])
                    }
                    let results = try body.run(feeds, context: context)
                    let values = body.outputNames.map { results[$0]! }
                    states = Array(values[..<carried])
                    for k in 0..<outputs { slices[k].append(values[carried + k]) }
                }
                let stacked = try (0..<outputs).map { k -> Tensor in
                    guard let first = slices[k].first else { return Loop.emptyStack(scanTypes[k], axis: outputAxes[k]) }
                    let axis = try Axes.normalize(outputAxes[k], rank: first.rank + 1)
                    let ordered = outputReversed[k] ? slices[k].reversed() : slices[k]
                    return try Concat.join(ordered.map { $0.reshaped(Array($0.shape[..<axis]) + [1] + Array($0.shape[axis...])) },
                                           axis: axis, threads: context.threads)
                }
                return states + stacked
            }
        }

        /// A directions attribute (0 forward, 1 reverse per entry), all forward when absent.
        static func directions(_ node: Node, _ name: String, count: Int) throws -> [Bool] {
            guard let values = try node.ints(name) else { return Array(repeating: false, count: count) }
            guard values.count == count, values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw QConvertError("\(name) must hold \(count) entries of 0 (forward) or 1 (reverse), got \(values)")
            }
            return values.map { $0 == 1 }
        }
    }
}
