import CKernels
import QConvertIR

/// The shared loop for elementwise unary kernels: y[i] = f(x[i]), split over threads in fixed chunks;
/// on float32 through the formula's CKernels loop when it has one.
///
/// Why here: every activation and unary math op (Relu, Sigmoid, Sqrt, Clip...) is this loop with a
/// different formula (a `UnaryFunction`); each output element depends only on its input, so any thread
/// count gives the same bits.
enum Elementwise {
    /// Elements per parallel chunk.
    static let grain = 1 << 16

    /// `f` applied to every element of input 0, which must be float32.
    static func unaryFloat(_ inputs: [Tensor?], _ context: RunContext, _ f: some UnaryFunction<Float>) throws -> Tensor {
        let x = try inputs.required(0, "X")
        guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
        return map(x, threads: context.threads, f)
    }

    /// A bool tensor of x's shape with y[i] = test(x[i]), for float32 x (IsNaN, IsInf).
    static func test(_ x: Tensor, threads: Int, _ test: @escaping @Sendable (Float) -> Bool) throws -> Tensor {
        guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
        return x.withElements(of: Float.self) { src in
            Tensor(uninitializedShape: x.shape, dataType: .bool, of: UInt8.self) { dst in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                Parallel.forEach(count: src.count, grain: grain, threads: threads) { range in
                    for i in range { target[i] = test(source[i]) ? 1 : 0 }
                }
            }
        }
    }

    /// A tensor of x's shape and type with y[i] = f(x[i]); x is read as `F.Element`, which must have
    /// its type's width.
    static func map<F: UnaryFunction>(_ x: Tensor, threads: Int, _ f: F) -> Tensor {
        let vectorized = F.Element.self == Float.self ? f.vectorized : nil
        return x.withElements(of: F.Element.self) { src in
            Tensor(uninitializedShape: x.shape, dataType: x.dataType, of: F.Element.self) { dst in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                Parallel.forEach(count: src.count, grain: grain, threads: threads) { range in
                    if let (op, p0, p1) = vectorized {
                        qc_unary(op, p0, p1, UnsafeRawPointer(source + range.lowerBound).assumingMemoryBound(to: Float.self),
                                 UnsafeMutableRawPointer(target + range.lowerBound).assumingMemoryBound(to: Float.self), range.count)
                    } else {
                        for i in range { target[i] = f(source[i]) }
                    }
                }
            }
        }
    }
}
