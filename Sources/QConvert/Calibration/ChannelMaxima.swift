import QConvertIR

/// The largest |x| per channel of chosen activations, over some samples: what activation
/// equalization needs. The channel axis is the one the readers' weights index: 1 for a Conv's
/// [N, C, ...] input, the last for a MatMul's or Gemm's [..., K] input.
/// Merging is a maximum, so the result does not depend on sample order.
enum ChannelMaxima {
    struct Observed {
        var maxima: [Float]
        var rank: Int
        /// The channel axis, normalised.
        var axis: Int
    }

    /// Values to observe, each with its channel axis (negative counts from the end).
    static func collect(model: Model, values: [String: Int], samples: CalibrationDataset, threads: Int) throws -> [String: Observed] {
        let interpreter = try Interpreter(model: model, threads: threads)
        var result: [String: Observed] = [:]
        for index in 0..<samples.count {
            _ = try samples.withSample(index) { feeds in try interpreter.run(feeds) { name, tensor in
                guard let wanted = values[name], tensor.dataType == .float, tensor.rank >= 2 else { return }
                let axis = wanted < 0 ? wanted + tensor.rank : wanted
                guard axis >= 0, axis < tensor.rank else { return }
                let channels = tensor.shape[axis]
                var maxima = result[name]?.maxima ?? [Float](repeating: 0, count: channels)
                guard maxima.count == channels else { return }
                tensor.withElements(of: Float.self) { x in
                    AffineQuantization.ParameterIndex(axis: axis, shape: tensor.shape).forEachRun(in: 0..<x.count) { run, c in
                        maxima[c] = x[run].reduce(maxima[c]) { max($0, abs($1)) }
                    }
                }
                result[name] = Observed(maxima: maxima, rank: tensor.rank, axis: axis)
            } }
        }
        return result
    }
}
