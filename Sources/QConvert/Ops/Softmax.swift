import QConvertIR

extension Ops {
    /// Softmax: y = e^(x - max) / sum of e^(x - max) along `axis` (over the flattened trailing dims
    /// before opset 13); see `SoftmaxLanes`.
    enum Softmax: Operator {
        static let type = "Softmax"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try SoftmaxLanes.kernel(node, context, log: false)
        }
    }
}

extension Ops.Softmax: Quantizable {
    /// Quantized as fixedRange: output in [0, 1].
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.fixedRange(lower: 0, upper: 1))
    }
}

extension Ops.Softmax: ShapePreserving {}
