import QConvertIR

extension Ops {
    /// LSTM, per direction and time step t (gate blocks i, o, f, c in W, R and B; ⊙ elementwise):
    ///     i = f(X_t·W_iᵀ + H·R_iᵀ + P_i ⊙ C + Wb_i + Rb_i)
    ///     f = f(X_t·W_fᵀ + H·R_fᵀ + P_f ⊙ C + Wb_f + Rb_f)      (1 − i with input_forget)
    ///     c = g(X_t·W_cᵀ + H·R_cᵀ + Wb_c + Rb_c)
    ///     C = f ⊙ C + i ⊙ c
    ///     o = f(X_t·W_oᵀ + H·R_oᵀ + P_o ⊙ C + Wb_o + Rb_o)
    ///     H = o ⊙ h(C)
    /// with f, g, h = Sigmoid, Tanh, Tanh by default and gate inputs clipped to ±`clip` when set.
    /// Outputs Y (every H), Y_h (last H) and Y_c (last C); batch entries stop at their sequence_lens.
    enum LSTM: Operator {
        static let type = "LSTM"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let recurrent = try Recurrent(node, gates: 4, defaultActivations: ["Sigmoid", "Tanh", "Tanh"])
            let inputForget = try node.int("input_forget", default: 0) != 0
            return Kernel { inputs, context in
                let s = try recurrent.inputs(inputs)
                let (directions, hidden, batch, width) = (recurrent.reversed.count, s.hidden, s.batch, 4 * s.hidden)
                let h = Recurrent.scratch(try recurrent.initialState(inputs, 5, "initial_h", s))
                let c = Recurrent.scratch(try recurrent.initialState(inputs, 6, "initial_c", s))
                let y = Recurrent.scratch(Array(repeating: 0, count: s.steps * directions * batch * hidden))
                let recurrence = Recurrent.scratch(Array(repeating: 0, count: directions * batch * width))
                defer { [h, c, y, recurrence].forEach { $0.deallocate() } }
                let peepholes = try inputs.optionalFloatInput(7, "P")
                if let peepholes, peepholes.shape != [directions, 3 * hidden] {
                    throw QConvertError("P must have shape \([directions, 3 * hidden]), got \(peepholes.shape)")
                }
                let p = peepholes?.scalars(of: Float.self) ?? Array(repeating: 0, count: directions * 3 * hidden)
                let projection = recurrent.inputProjection(s, threads: context.threads)
                s.rTransposed.withUnsafeBufferPointer { r in
                    recurrent.forEachStep(s, threads: context.threads) { d, _, active in
                        let (hd, cd, hr) = (h.baseAddress! + d * batch * hidden, c.baseAddress! + d * batch * hidden,
                                            recurrence.baseAddress! + d * batch * width)
                        MatrixMultiply.run(.init(m: batch, n: width, k: hidden, a: hd, lda: hidden,
                                                 b: r.baseAddress! + d * width * hidden, ldb: width, c: hr, ldc: width))
                        let (f, g, hOut) = (recurrent.activations[3 * d], recurrent.activations[3 * d + 1], recurrent.activations[3 * d + 2])
                        let (rb, pd) = (d * 2 * width + width, d * 3 * hidden)
                        for b in 0..<batch {
                            guard let t = active[b] else { continue }
                            let xw = ((d * s.steps + t) * batch + b) * width
                            func gate(_ block: Int, _ j: Int) -> Float {
                                projection[xw + block * hidden + j] + hr[b * width + block * hidden + j] + s.bias[rb + block * hidden + j]
                            }
                            for j in 0..<hidden {
                                let previous = cd[b * hidden + j]
                                let input = f(recurrent.clipped(gate(0, j) + p[pd + j] * previous))
                                let forget = inputForget ? 1 - input : f(recurrent.clipped(gate(2, j) + p[pd + 2 * hidden + j] * previous))
                                let cell = forget * previous + input * g(recurrent.clipped(gate(3, j)))
                                let output = f(recurrent.clipped(gate(1, j) + p[pd + hidden + j] * cell))
                                cd[b * hidden + j] = cell
                                hd[b * hidden + j] = output * hOut(cell)
                                y[((t * directions + d) * batch + b) * hidden + j] = hd[b * hidden + j]
                            }
                        }
                    }
                }
                return recurrent.outputTensors(y: Array(y), states: [Array(h), Array(c)], s)
            }
        }
    }
}

extension Ops.LSTM: RecurrentOperator {
    static let states = 2
}
