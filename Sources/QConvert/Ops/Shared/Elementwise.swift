import QConvertIR

/// Shared loops for elementwise float kernels.
public enum Elementwise {
    /// Applies `f` to every element of float input 0, split over threads in fixed chunks.
    public static func unaryFloat(_ inputs: [Tensor?], _ context: RunContext, _ f: @escaping (Float) -> Float) throws -> Tensor {
        guard let x = inputs.first ?? nil else { throw QConvertError("missing input") }
        guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
        return x.withElements(of: Float.self) { src in
            Tensor(shape: x.shape, of: Float.self) { dst in
                Parallel.forEach(count: src.count, grain: 1 << 16, threads: context.threads) { range in
                    for i in range { dst[i] = f(src[i]) }
                }
            }
        }
    }
}
