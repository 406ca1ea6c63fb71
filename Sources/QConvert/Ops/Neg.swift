import QConvertIR

extension Ops {
    /// Neg: y = -x, elementwise on float32, float64 and signed integers (the most negative integer
    /// wraps to itself, as in C++).
    enum Neg: SignedUnaryOperator {
        static let type = "Neg"
        static let inputName = "X"

        static func real<T: FloatingPoint>(_ x: T) -> T { -x }
        static func integer<T: FixedWidthInteger>(_ x: T) -> T { 0 &- x }
    }
}

extension Ops.Neg: ShapePreserving {}
