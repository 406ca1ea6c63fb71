import QConvertIR

extension Ops {
    /// Abs: y = |x|, elementwise on float32, float64 and integers (the most negative signed integer
    /// wraps to itself, as in C++; unsigned inputs are returned as they are).
    enum Abs: SignedUnaryOperator {
        static let type = "Abs"
        static let inputName = "X"
        static let unsignedIsIdentity = true

        static func real<T: FloatingPoint>(_ x: T) -> T { abs(x) }
        static func integer<T: FixedWidthInteger>(_ x: T) -> T { x < 0 ? 0 &- x : x }
    }
}

extension Ops.Abs: ShapePreserving {}
