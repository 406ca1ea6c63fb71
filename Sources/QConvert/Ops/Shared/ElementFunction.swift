import QConvertIR

/// y = f(x) on one element type, as a value: the shared elementwise loop is generic over it, so in
/// release builds each op's formula is inlined into (and vectorised with) the loop. A closure would be
/// an opaque call per element, several times slower than the arithmetic it does.
protocol UnaryFunction<Element> {
    associatedtype Element: TensorElement
    func callAsFunction(_ x: Element) -> Element
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
}

extension BinaryFunction {
    func broadcastingFirst(_ a: A, _ b: B) -> Result { self(a, b) }
}
