import QConvertIR

/// An elementwise op defined on float32, float64 and signed integers (Abs, Neg, Sign): each states
/// its formula once for floating-point and once for integer elements, and shares the dispatch over
/// element types here.
protocol SignedUnaryOperator: Operator {
    static func real<T: FloatingPoint>(_ x: T) -> T
    static func integer<T: FixedWidthInteger>(_ x: T) -> T
    /// The name of the input in the spec, for errors.
    static var inputName: String { get }
    /// True if an unsigned tensor is its own result (Abs); otherwise unsigned input is an error.
    static var unsignedIsIdentity: Bool { get }
}

extension SignedUnaryOperator {
    static var unsignedIsIdentity: Bool { false }

    static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
        // Read before the kernel closure, which must not capture the metatype (not Sendable).
        let name = inputName, unsignedIsIdentity = unsignedIsIdentity
        return Kernel { inputs, context in
            let x = try inputs.required(0, name), threads = context.threads
            switch x.dataType {
            case .float: return [Elementwise.map(x, threads: threads, SignedReal<Self, Float>())]
            case .double: return [Elementwise.map(x, threads: threads, SignedReal<Self, Double>())]
            case .int8: return [Elementwise.map(x, threads: threads, SignedInteger<Self, Int8>())]
            case .int16: return [Elementwise.map(x, threads: threads, SignedInteger<Self, Int16>())]
            case .int32: return [Elementwise.map(x, threads: threads, SignedInteger<Self, Int32>())]
            case .int64: return [Elementwise.map(x, threads: threads, SignedInteger<Self, Int64>())]
            case .uint8, .uint16, .uint32, .uint64:
                guard unsignedIsIdentity else { throw QConvertError("\(x.dataType) input is not supported") }
                return [x]
            default: throw QConvertError("\(x.dataType) input is not supported")
            }
        }
    }
}

/// An op's floating-point formula as a value the shared loop specialises on.
struct SignedReal<Op: SignedUnaryOperator, T: TensorElement & FloatingPoint>: UnaryFunction {
    func callAsFunction(_ x: T) -> T { Op.real(x) }
}

/// An op's integer formula as a value the shared loop specialises on.
struct SignedInteger<Op: SignedUnaryOperator, T: TensorElement & FixedWidthInteger>: UnaryFunction {
    func callAsFunction(_ x: T) -> T { Op.integer(x) }
}
