import QConvertIR

/// Builds small models in tests: `var b = GraphBuilder(); let y = b.node("Relu", [x])`.
public struct GraphBuilder {
    public var graph = Graph(name: "test")
    public var opset: Int
    private var counter = 0

    public init(opset: Int = 13) {
        self.opset = opset
    }

    /// Declares a float (or other) graph input of a static shape.
    @discardableResult
    public mutating func input(_ name: String, _ shape: [Int], type: DataType = .float) -> String {
        input(name, shape.map { Dim.value($0) }, type: type)
    }

    /// Declares a graph input whose dims may be symbolic (`[.param("N"), .value(3)]`).
    @discardableResult
    public mutating func input(_ name: String, _ dims: [Dim], type: DataType = .float) -> String {
        graph.inputs.append(ValueInfo(name: name, elementType: type, shape: dims))
        return name
    }

    /// Adds an initializer.
    @discardableResult
    public mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        graph.initializers[name] = tensor
        return name
    }

    /// Adds a node with one output (or `outputs` outputs) and returns the first output's name.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], _ attributes: [String: AttributeValue] = [:], outputs: Int = 1,
                              name: String? = nil) -> String {
        counter += 1
        let base = name ?? "\(op.lowercased())\(counter)"
        let outs = (0..<outputs).map { outputs == 1 ? base : "\(base)_\($0)" }
        let attrs = attributes.sorted { $0.key < $1.key }.map { Attribute(name: $0.key, value: $0.value) }
        graph.nodes.append(Node(name: base, opType: op, inputs: inputs, outputs: outs, attributes: attrs))
        return outs[0]
    }

    /// Marks values as graph outputs (float, shape unknown).
    public mutating func output(_ names: String...) {
        for name in names { graph.outputs.append(ValueInfo(name: name, type: ValueType(tensor: TensorType(elementType: .float, shape: nil)))) }
    }

    public var model: Model { Model(opsetImports: [OpsetImport(domain: "", version: Int64(opset))], graph: graph) }
}

/// Seeded random tensors for tests.
public struct RandomTensors {
    private var generator: SeededGenerator

    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
    }

    /// Normal(mean, std) float32 values (Box-Muller).
    public mutating func normal(_ shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        let count = shape.reduce(1, *)
        var values = [Float]()
        values.reserveCapacity(count)
        while values.count < count {
            let u1 = max(Double.random(in: 0..<1, using: &generator), 1e-12), u2 = Double.random(in: 0..<1, using: &generator)
            let r = (-2 * log(u1)).squareRoot()
            values.append(Float(r * cos(2 * .pi * u2)) * std + mean)
            if values.count < count { values.append(Float(r * sin(2 * .pi * u2)) * std + mean) }
        }
        return Tensor(shape: shape, scalars: values)
    }

    /// Uniform float32 values in `range`.
    public mutating func uniform(_ shape: [Int], _ range: ClosedRange<Float>) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: range, using: &generator) })
    }
}

/// SplitMix64: a small, fast, seedable generator.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

#if canImport(Glibc)
import Glibc
#endif
