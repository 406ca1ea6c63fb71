import QConvertIR

extension Ops {
    /// com.microsoft QLinearLeakyRelu: LeakyRelu between 8-bit tensors through a 256-entry table
    /// (`QuantizedLookupTable`), as ONNX Runtime computes it:
    ///     y = saturate(round_half_to_even(f(float(x − X_zero) · X_scale) / Y_scale) + Y_zero),
    ///     f(v) = v for v ≥ 0, alpha · v otherwise (alpha defaults to 0.01)
    /// The same in both requantization modes (integer-only inference builds such tables offline).
    enum QLinearLeakyRelu: Operator {
        static let type = "QLinearLeakyRelu"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let alpha = try node.float("alpha", default: 0.01)
            return Kernel { inputs, context in
                let (table, x) = try QuantizedLookupTable.unary(inputs) { values in values.map { $0 >= 0 ? $0 : alpha * $0 } }
                return [table.apply(x, threads: context.threads)]
            }
        }
    }
}
