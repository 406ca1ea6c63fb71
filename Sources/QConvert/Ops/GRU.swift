import QConvertIR

extension Ops {
    /// GRU, per direction and time step t (gate blocks z, r, h in W, R and B; ⊙ elementwise):
    ///     z = f(X_t·W_zᵀ + H·R_zᵀ + Wb_z + Rb_z)
    ///     r = f(X_t·W_rᵀ + H·R_rᵀ + Wb_r + Rb_r)
    ///     h = g(X_t·W_hᵀ + (r ⊙ H)·R_hᵀ + Rb_h + Wb_h)          (linear_before_reset = 0)
    ///     h = g(X_t·W_hᵀ + r ⊙ (H·R_hᵀ + Rb_h) + Wb_h)          (linear_before_reset ≠ 0)
    ///     H = (1 − z) ⊙ h + z ⊙ H
    /// with f, g = Sigmoid, Tanh by default and gate inputs clipped to ±`clip` when set.
    /// Outputs Y (every H) and Y_h (last H); batch entries stop at their sequence_lens.
    enum GRU: Operator {
        static let type = "GRU"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let recurrent = try Recurrent(node, gates: 3, defaultActivations: ["Sigmoid", "Tanh"])
            let linearBeforeReset = try node.int("linear_before_reset", default: 0) != 0
            return Kernel { inputs, context in
                let s = try recurrent.inputs(inputs)
                let (directions, hidden, batch, width) = (recurrent.reversed.count, s.hidden, s.batch, 3 * s.hidden)
                let h = Recurrent.scratch(try recurrent.initialState(inputs, 5, "initial_h", s))
                let y = Recurrent.scratch(Array(repeating: 0, count: s.steps * directions * batch * hidden))
                let recurrence = Recurrent.scratch(Array(repeating: 0, count: directions * batch * width))
                let reset = Recurrent.scratch(Array(repeating: 0, count: directions * batch * hidden))
                defer { [h, y, recurrence, reset].forEach { $0.deallocate() } }
                let projection = recurrent.inputProjection(s, threads: context.threads)
                s.rTransposed.withUnsafeBufferPointer { r in
                    recurrent.forEachStep(s, threads: context.threads) { d, _, active in
                        let hd = h.baseAddress! + d * batch * hidden, hr = recurrence.baseAddress! + d * batch * width
                        let rh = reset.baseAddress! + d * batch * hidden, rd = r.baseAddress! + d * width * hidden
                        let recurrentColumns = linearBeforeReset ? width : 2 * hidden
                        MatrixMultiply.run(.init(m: batch, n: recurrentColumns, k: hidden, a: hd, lda: hidden,
                                                 b: rd, ldb: width, c: hr, ldc: width))
                        let (f, g) = (recurrent.activations[2 * d], recurrent.activations[2 * d + 1])
                        let rb = d * 2 * width + width
                        func gate(_ b: Int, _ t: Int, _ block: Int, _ j: Int) -> Float {
                            projection[((d * s.steps + t) * batch + b) * width + block * hidden + j] + hr[b * width + block * hidden + j]
                                + s.bias[rb + block * hidden + j]
                        }
                        if !linearBeforeReset {
                            for b in 0..<batch {
                                guard let t = active[b] else { continue }
                                for j in 0..<hidden { rh[b * hidden + j] = f(recurrent.clipped(gate(b, t, 1, j))) * hd[b * hidden + j] }
                            }
                            MatrixMultiply.run(.init(m: batch, n: hidden, k: hidden, a: rh, lda: hidden,
                                                     b: rd + 2 * hidden, ldb: width, c: hr + 2 * hidden, ldc: width))
                        }
                        for b in 0..<batch {
                            guard let t = active[b] else { continue }
                            let xw = ((d * s.steps + t) * batch + b) * width + 2 * hidden
                            for j in 0..<hidden {
                                let update = f(recurrent.clipped(gate(b, t, 0, j)))
                                let recurrentH = hr[b * width + 2 * hidden + j] + s.bias[rb + 2 * hidden + j]
                                let candidate = linearBeforeReset
                                    ? g(recurrent.clipped(projection[xw + j] + f(recurrent.clipped(gate(b, t, 1, j))) * recurrentH))
                                    : g(recurrent.clipped(projection[xw + j] + recurrentH))
                                hd[b * hidden + j] = (1 - update) * candidate + update * hd[b * hidden + j]
                                y[((t * directions + d) * batch + b) * hidden + j] = hd[b * hidden + j]
                            }
                        }
                    }
                }
                return recurrent.outputTensors(y: Array(y), states: [Array(h)], s)
            }
        }
    }
}

extension Ops.GRU: RecurrentOperator {
    static let states = 1
}
