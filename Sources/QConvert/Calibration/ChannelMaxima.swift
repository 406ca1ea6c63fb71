import QConvertIR

/// The largest |x| per channel of chosen activations, over some samples: what activation
/// equalization needs (channel = axis 1 for 3-D and wider tensors, the last axis otherwise).
/// Merging is a maximum, so the result does not depend on sample order.
enum ChannelMaxima {
    struct Observed {
        var maxima: [Float]
        var rank: Int
    }

    static func channelAxis(rank: Int) -> Int { rank >= 3 ? 1 : rank - 1 }

    static func collect(model: Model, values: Set<String>, samples: CalibrationDataset, threads: Int) throws -> [String: Observed] {
        let interpreter = try Interpreter(model: model, threads: threads)
        var result: [String: Observed] = [:]
        for index in 0..<samples.count {
            _ = try interpreter.run(try samples.sample(index)) { name, tensor in
                guard values.contains(name), tensor.dataType == .float, tensor.rank >= 2 else { return }
                let axis = channelAxis(rank: tensor.rank)
                let channels = tensor.shape[axis], inner = tensor.shape[(axis + 1)...].reduce(1, *)
                var maxima = result[name]?.maxima ?? [Float](repeating: 0, count: channels)
                guard maxima.count == channels else { return }
                tensor.withElements(of: Float.self) { x in
                    for i in 0..<x.count {
                        let c = (i / inner) % channels
                        maxima[c] = max(maxima[c], abs(x[i]))
                    }
                }
                result[name] = Observed(maxima: maxima, rank: tensor.rank)
            }
        }
        return result
    }
}
