import QConvert
import QConvertIR
import Testing

/// Kernels split work in fixed chunks, so 1, 2 and 3 threads must give bit-identical tensors on inputs
/// large enough to span many chunks (the op cases are too small for that).
@Suite struct ThreadDeterminismTests {
    /// Pseudo-random floats in [-4, 4) from a fixed linear congruential sequence.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 8 - 4
        }
    }

    static let x = Tensor(shape: [2, 48, 40, 41], scalars: values(2 * 48 * 40 * 41, seed: 1))

    static let cases: [(String, [Tensor], [Attribute])] = [
        ("Add", [x, Tensor(shape: [48, 1, 1], scalars: values(48, seed: 2))], []),
        ("Mul", [x, Tensor(shape: [41], scalars: values(41, seed: 3))], []),
        ("Sigmoid", [x], []),
        ("Softmax", [x], [Attribute(name: "axis", value: .int(1))]),
        ("Softmax", [x], [Attribute(name: "axis", value: .int(-1))]),
        ("ReduceSum", [x, Tensor(scalars: [Int64(0), 2])], []),
        ("ReduceMean", [x, Tensor(scalars: [Int64(-1)])], []),
        ("Transpose", [x], [Attribute(name: "perm", value: .ints([0, 2, 3, 1]))]),
        ("LayerNormalization", [x, Tensor(shape: [41], scalars: values(41, seed: 4))], []),
    ]

    @Test(arguments: cases.indices)
    func sameBitsForAnyThreadCount(_ index: Int) throws {
        let (op, inputs, attributes) = Self.cases[index]
        let opset = op == "LayerNormalization" ? 17 : 13
        let reference = try SingleNode.run(op, inputs, opset: opset, threads: 1, attributes)[0]
        for threads in [2, 3] {
            let other = try SingleNode.run(op, inputs, opset: opset, threads: threads, attributes)[0]
            #expect(Array(reference.storage.bytes) == Array(other.storage.bytes), "\(op) with \(threads) threads")
        }
    }
}
