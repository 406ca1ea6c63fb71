@testable import QConvert
import QConvertIR
import Testing

/// The CKernels loops (`qc_unary`, `qc_binary`) that run float32 elementwise ops must give exactly the
/// bits of each op's Swift formula, special values included, on every instruction set they are built for.
@Suite struct ElementwiseVectorTests {
    /// A sweep over [-100, 100] plus values where formulas change branch or saturate, and specials;
    /// 4099 of them, so vector bodies and a scalar tail both run.
    static let inputs: [Float] = {
        let specials: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                 .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 3, -3, 88.73, 88.8, -86.6, -87, 1, -1, 6, -6]
        let sweep = (0..<(4099 - specials.count)).map { Float(-100) + Float($0) * (200 / 4078) }
        return specials + sweep
    }()

    static func sameBits(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    static func check<F: UnaryFunction<Float>>(_ name: String, _ f: F) throws {
        #expect(f.vectorized != nil, "\(name) has a CKernels loop")
        let y = Elementwise.map(Tensor(scalars: inputs), threads: 1, f).scalars(of: Float.self)
        for (x, actual) in zip(inputs, y) where !sameBits(actual, f(x)) {
            Issue.record("\(name)(\(x)): CKernels \(actual), Swift \(f(x))")
            return
        }
    }

    @Test func unaryLoopsMatchSwiftFormulas() throws {
        try Self.check("Relu", Ops.Relu.Formula())
        try Self.check("Clip", Ops.Clip.Formula<Float>(lo: -2.5, hi: 6))
        try Self.check("Sigmoid", Ops.Sigmoid.Formula())
        try Self.check("HardSigmoid", Ops.HardSigmoid.Formula(alpha: 0.2, beta: 0.5))
        try Self.check("HardSwish", Ops.HardSwish.Formula())
        try Self.check("Exp", Ops.Exp.Formula())
    }

    static func checkBinary<F: BinaryArithmetic>(_ name: String, _ op: F.Type) throws {
        #expect(F.vectorized != nil, "\(name) has a CKernels loop")
        let a = inputs, b = Array(inputs.reversed())
        // Same shapes (unit strides), a row against one value each way, and one value against one.
        let cases: [([Float], [Float])] = [(a, b), (a, [b[7]]), ([a[11]], b), ([a[3]], [b[5]])]
        for (x, y) in cases {
            let out = try Broadcast.arithmetic(F.self, Tensor(scalars: x), Tensor(scalars: y), threads: 1).scalars(of: Float.self)
            for i in out.indices {
                let expected = F.apply(x[x.count == 1 ? 0 : i], y[y.count == 1 ? 0 : i])
                if !sameBits(out[i], expected) {
                    Issue.record("\(name) element \(i) of \(x.count) x \(y.count): CKernels \(out[i]), Swift \(expected)")
                    return
                }
            }
        }
    }

    @Test func binaryLoopsMatchSwiftFormulas() throws {
        try Self.checkBinary("Add", Ops.Add.self)
        try Self.checkBinary("Sub", Ops.Sub.self)
        try Self.checkBinary("Mul", Ops.Mul.self)
        try Self.checkBinary("Div", Ops.Div.self)
    }
}
