import QConvertIR

extension Ops {
    /// Sign: y = -1, 0 or 1 as x is negative, zero or positive (NaN stays NaN), elementwise on float32,
    /// float64 and signed integers.
    enum Sign: SignedUnaryOperator {
        static let type = "Sign"
        static let inputName = "input"

        static func real<T: FloatingPoint>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? -1 : x) }
        static func integer<T: FixedWidthInteger>(_ x: T) -> T { x > 0 ? 1 : (x < 0 ? 0 &- 1 : 0) }
    }
}

extension Ops.Sign: ShapePreserving {}
