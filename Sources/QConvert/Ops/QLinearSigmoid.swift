import QConvertIR

extension Ops {
    /// com.microsoft QLinearSigmoid: Sigmoid between 8-bit tensors through a 256-entry table
    /// (`QuantizedLookupTable`), as ONNX Runtime computes it:
    ///     y = saturate(round_half_to_even(σ(float(x − X_zero) · X_scale) / Y_scale) + Y_zero)
    /// with σ ONNX Runtime's own float approximation (`logistic`), so that table entries whose exact
    /// value lies near a rounding boundary round as ONNX Runtime's do. The same in both requantization
    /// modes (integer-only inference builds such tables offline).
    enum QLinearSigmoid: Operator {
        static let type = "QLinearSigmoid"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let (table, x) = try QuantizedLookupTable.unary(inputs) { values in values.map(logistic) }
                return [table.apply(x, threads: context.threads)]
            }
        }

        /// MLAS's logistic (MlasComputeLogistic, its FMA3 kernel on AVX2 machines; the coefficients are
        /// Eigen's): v clamped to [−18, 18], σ(v) = max(0, v·p(v²) / q(v²) + 0.5), p and q polynomials
        /// evaluated by Horner's rule with fused multiply-adds.
        static func logistic(_ input: Float) -> Float {
            let v = min(max(input, -18), 18)
            let v2 = v * v
            var p = Float(1.15627324459942e-07).addingProduct(v2, 4.37031012579801e-11)
            p = Float(6.08574864600143e-05).addingProduct(v2, p)
            p = Float(8.51377133304701e-03).addingProduct(v2, p)
            p = Float(2.48287947061529e-01).addingProduct(v2, p)
            p = v * p
            var q = Float(5.76102136993427e-09).addingProduct(v2, 6.10247389755681e-13)
            q = Float(6.29106785017040e-06).addingProduct(v2, q)
            q = Float(1.70198817374094e-03).addingProduct(v2, q)
            q = Float(1.16817656904453e-01).addingProduct(v2, q)
            q = Float(9.93151921023180e-01).addingProduct(v2, q)
            return max(0, p / q + 0.5)
        }
    }
}
