import QConvertIR

extension Ops {
    /// The simple recurrent cell, per direction and time step t:
    ///     H = f(X_t·Wᵀ + H·Rᵀ + Wb + Rb)
    /// with f = Tanh by default and its input clipped to ±`clip` when set. Outputs Y (every H) and
    /// Y_h (last H); batch entries stop at their sequence_lens.
    enum RNN: Operator {
        static let type = "RNN"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let recurrent = try Recurrent(node, gates: 1, defaultActivations: ["Tanh"])
            return Kernel { inputs, context in
                let s = try recurrent.inputs(inputs)
                let (directions, hidden, batch) = (recurrent.reversed.count, s.hidden, s.batch)
                let h = Recurrent.scratch(try recurrent.initialState(inputs, 5, "initial_h", s))
                let y = Recurrent.scratch(Array(repeating: 0, count: s.steps * directions * batch * hidden))
                let recurrence = Recurrent.scratch(Array(repeating: 0, count: directions * batch * hidden))
                defer { [h, y, recurrence].forEach { $0.deallocate() } }
                let projection = recurrent.inputProjection(s, threads: context.threads)
                s.rTransposed.withUnsafeBufferPointer { r in
                    recurrent.forEachStep(s, threads: context.threads) { d, _, active in
                        let hd = h.baseAddress! + d * batch * hidden, hr = recurrence.baseAddress! + d * batch * hidden
                        MatrixMultiply.run(.init(m: batch, n: hidden, k: hidden, a: hd, lda: hidden,
                                                 b: r.baseAddress! + d * hidden * hidden, ldb: hidden, c: hr, ldc: hidden))
                        let f = recurrent.activations[d]
                        let rb = d * 2 * hidden + hidden
                        for b in 0..<batch {
                            guard let t = active[b] else { continue }
                            let xw = ((d * s.steps + t) * batch + b) * hidden
                            for j in 0..<hidden {
                                hd[b * hidden + j] = f(recurrent.clipped(projection[xw + j] + hr[b * hidden + j] + s.bias[rb + j]))
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

extension Ops.RNN: RecurrentOperator {
    static let states = 1
}
