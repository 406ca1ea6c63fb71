import CKernels
import QConvertIR

/// y = f(x) on one element type, as a value: the shared elementwise loop is generic over it, so in
/// release builds each op's formula is inlined into (and vectorised with) the loop. A closure would be
/// an opaque call per element, several times slower than the arithmetic it does.
protocol UnaryFunction<Element> {
    associatedtype Element: TensorElement
    func callAsFunction(_ x: Element) -> Element
    /// The same formula as a CKernels `qc_unary` loop with its parameters, used for float32 instead of
    /// the Swift loop (which is built for baseline SSE2; CKernels picks AVX-512 or AVX2 at run time);
    /// nil when CKernels has none. `ElementwiseVectorTests` checks both agree bit for bit.
    var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { get }
}

extension UnaryFunction {
    var vectorized: (op: qc_unary_op, p0: Float, p1: Float)? { nil }
}

/// z = f(a, b) on two element types, as a value, for the same reason as `UnaryFunction`: the
/// broadcasting loops are generic over it.
protocol BinaryFunction<A, B, Result> {
    associatedtype A: TensorElement
    associatedtype B: TensorElement
    associatedtype Result: TensorElement
    func callAsFunction(_ a: A, _ b: B) -> Result
    /// f(a, b) where a is broadcast along a row of b's elements. The same unless a formula's rounding
    /// depends on which operand is broadcast (ONNX Runtime's QLinearAdd swaps its operands then).
    func broadcastingFirst(_ a: A, _ b: B) -> Result
    /// The same formula as a CKernels `qc_binary` loop, used when all three types are float32; nil when
    /// CKernels has none.
    var vectorized: qc_binary_op? { get }
}

extension BinaryFunction {
    func broadcastingFirst(_ a: A, _ b: B) -> Result { self(a, b) }
    var vectorized: qc_binary_op? { nil }
}
