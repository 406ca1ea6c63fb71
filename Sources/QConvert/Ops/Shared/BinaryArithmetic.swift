import CKernels
import QConvertIR

/// A binary arithmetic formula on each numeric type ONNX's arithmetic ops take. Integer formulas wrap
/// on overflow, as ONNX Runtime's C++ does, instead of trapping.
///
/// Why a protocol of static functions: each op (`Ops.Add`...) states its formula per type in its own
/// file, and `Broadcast.arithmetic` specialises the shared broadcasting loop for it (through the
/// one-type adapters below), so the formula is inlined into the loop in release builds.
protocol BinaryArithmetic {
    static func apply(_ a: Float, _ b: Float) -> Float
    static func apply(_ a: Double, _ b: Double) -> Double
    static func apply(_ a: Int32, _ b: Int32) -> Int32
    static func apply(_ a: Int64, _ b: Int64) -> Int64
    /// The float formula as a CKernels `qc_binary` loop, or nil (see `BinaryFunction.vectorized`).
    static var vectorized: qc_binary_op? { get }
}

extension BinaryArithmetic {
    static var vectorized: qc_binary_op? { nil }

    /// The kernel of Add, Sub, Mul and Div: C = F(A, B) with numpy broadcasting, B first aligned as
    /// opsets before 7 place it (`LegacyBroadcast`); `check` sees both inputs before the arithmetic.
    static func broadcastingKernel(_ node: Node, _ context: CompileContext,
                                   check: @escaping @Sendable (_ a: Tensor, _ b: Tensor) throws -> Void = { _, _ in }) throws -> Kernel {
        let legacy = try LegacyBroadcast(node, context)
        return Kernel { inputs, context in
            let a = try inputs.required(0, "A"), b = try legacy.align(a, inputs.required(1, "B"))
            try check(a, b)
            return [try Broadcast.arithmetic(Self.self, a, b, threads: context.threads)]
        }
    }
}

extension Broadcast {
    /// y = F(a, b) elementwise with numpy broadcasting; a and b must have the same numeric type.
    static func arithmetic<F: BinaryArithmetic>(_ formula: F.Type, _ a: Tensor, _ b: Tensor, threads: Int) throws -> Tensor {
        guard a.dataType == b.dataType else {
            throw QConvertError("inputs have different types \(a.dataType) and \(b.dataType)")
        }
        let plan = try Broadcast([a.shape, b.shape])
        switch a.dataType {
        case .float: return plan.map(a, b, to: .float, threads: threads, FloatFormula<F>())
        case .double: return plan.map(a, b, to: .double, threads: threads, DoubleFormula<F>())
        case .int32: return plan.map(a, b, to: .int32, threads: threads, Int32Formula<F>())
        case .int64: return plan.map(a, b, to: .int64, threads: threads, Int64Formula<F>())
        default: throw QConvertError("\(a.dataType) inputs are not supported (float32, float64, int32, int64 are)")
        }
    }

    /// y = F(...F(F(x0, x1), x2)..., xn) for the variadic ops (Max, Min, Sum, Mean); one input is
    /// returned as is.
    static func fold<F: BinaryArithmetic>(_ formula: F.Type, _ inputs: [Tensor?], threads: Int) throws -> Tensor {
        let present = inputs.compactMap { $0 }
        guard var result = present.first else { throw QConvertError("needs at least one input") }
        for next in present.dropFirst() {
            result = try arithmetic(F.self, result, next, threads: threads)
        }
        return result
    }
}

/// `F`'s float formula, as a `BinaryFunction` the loops specialise on.
private struct FloatFormula<F: BinaryArithmetic>: BinaryFunction {
    func callAsFunction(_ a: Float, _ b: Float) -> Float { F.apply(a, b) }
    var vectorized: qc_binary_op? { F.vectorized }
}

/// `F`'s double formula, as a `BinaryFunction` the loops specialise on.
private struct DoubleFormula<F: BinaryArithmetic>: BinaryFunction {
    func callAsFunction(_ a: Double, _ b: Double) -> Double { F.apply(a, b) }
}

/// `F`'s int32 formula, as a `BinaryFunction` the loops specialise on.
private struct Int32Formula<F: BinaryArithmetic>: BinaryFunction {
    func callAsFunction(_ a: Int32, _ b: Int32) -> Int32 { F.apply(a, b) }
}

/// `F`'s int64 formula, as a `BinaryFunction` the loops specialise on.
private struct Int64Formula<F: BinaryArithmetic>: BinaryFunction {
    func callAsFunction(_ a: Int64, _ b: Int64) -> Int64 { F.apply(a, b) }
}
