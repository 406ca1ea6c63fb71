@testable import QConvert
import QConvertIR
import QConvertTestSupport

/// Tiny models and sample folders for the calibration tests, built with the IR (only Constant,
/// Identity and Relu run on every branch).
enum CalibrationTestModels {
    /// x [1, n] float -> Relu -> r -> Identity -> out; plus c = Constant, c2 = Identity(c), a
    /// constant-only chain that calibration must not observe.
    static func relu(width n: Int = 4) -> Model {
        let shape: [Dim] = [.value(1), .value(n)]
        return Model(graph: Graph(
            nodes: [
                Node(name: "const", opType: "Constant", inputs: [], outputs: ["c"],
                     attributes: [Attribute(name: "value", value: .tensor(Tensor(scalars: [Float(1), 2])))]),
                Node(name: "copy_const", opType: "Identity", inputs: ["c"], outputs: ["c2"]),
                Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
                Node(name: "identity", opType: "Identity", inputs: ["r"], outputs: ["out"]),
            ],
            inputs: [ValueInfo(name: "x", elementType: .float, shape: shape)],
            outputs: [ValueInfo(name: "out", elementType: .float, shape: shape), ValueInfo(name: "c2", elementType: .float, shape: [.value(2)])]
        ))
    }

    /// Writes `samples` as 0000.npy, 0001.npy... into a fresh folder of `temporary` and returns it.
    static func npyFolder(_ samples: [Tensor], in temporary: TemporaryDirectories) throws -> String {
        let dir = temporary.make()
        for (index, sample) in samples.enumerated() {
            try Npy.write(sample, to: dir + "/" + fileName(index))
        }
        return dir
    }

    static func fileName(_ index: Int) -> String {
        let digits = String(index)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + ".npy"
    }

    /// `count` random [1, n] samples; the scale of sample k varies over 2^-6...2^6 so histograms
    /// re-bin as they stream.
    static func randomSamples(_ count: Int, width n: Int = 4, seed: UInt64 = 7) -> [Tensor] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let scale = Float(sign: .plus, exponent: Int.random(in: -6...6, using: &rng), significand: 1)
            return Tensor(shape: [1, n], scalars: (0..<n).map { _ in Float.random(in: -1...1, using: &rng) * scale })
        }
    }
}
