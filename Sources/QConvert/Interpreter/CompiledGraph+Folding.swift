import QConvertIR

extension CompiledGraph {
    /// A folded result may be at most this many bytes larger than the constants it is computed from.
    static let foldingGrowthAllowance = 1 << 16
    /// Bytes that dequantized constants may add to one graph's constants (see foldedOutputs).
    public static let dequantizedConstantBudget = 256 << 20

    /// The outputs of `node` computed now, when every input it reads is a constant, or nil when it
    /// must run with each sample.
    ///
    /// Why: exporters leave constant-only chains in graphs (Paddle's Cast and Reshape of weights held
    /// in Constant nodes); computed once here, they cost nothing per sample. Their values are not
    /// activations, so the run hook (observers) never needed them. Results much larger than their
    /// inputs (ConstantOfShape filling a weight) still run per sample: kept here they would stay in
    /// memory for the graph's life instead of only while live. Nodes with subgraphs and ops outside
    /// the default domain always run.
    /// A DequantizeLinear of a constant (a quantized model's weights and biases) is kept although its
    /// float output is 4x its int8 input, as runtimes do: done per sample it was a third of a
    /// ppocrv4_rec QDQ run and left its Conv weights unpacked. `budget` (bytes) bounds what that adds,
    /// so a very large quantized model still dequantizes the rest one weight at a time, per sample.
    static func foldedOutputs(_ node: Node, domain: String, kernel: Kernel, constants: [String: Tensor], budget: inout Int) throws -> [Tensor]? {
        guard domain.isEmpty, node.subgraphs.isEmpty, !node.outputs.isEmpty else { return nil }
        guard let inputs = node.constantInputs(constants) else { return nil }
        let inputBytes = inputs.reduce(0) { $0 + ($1?.storage.bytes.count ?? 0) }
        if node.opType == "DequantizeLinear" {
            let growth = (inputs.first??.count ?? 0) * MemoryLayout<Float>.size - inputBytes
            if growth > foldingGrowthAllowance {
                guard growth <= budget else { return nil }
                budget -= growth
                return try kernel.run(inputs, RunContext(threads: 1))
            }
        }
        let outputs = try kernel.run(inputs, RunContext(threads: 1))
        // A Constant's value is held by the node already, however large.
        if node.opType == "Constant" { return outputs }
        let outputBytes = outputs.reduce(0) { $0 + $1.storage.bytes.count }
        return outputBytes <= inputBytes + foldingGrowthAllowance ? outputs : nil
    }
}
