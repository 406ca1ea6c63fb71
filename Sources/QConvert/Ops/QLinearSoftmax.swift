import QConvertIR

extension Ops {
    /// com.microsoft QLinearSoftmax: Softmax between 8-bit tensors, which ONNX Runtime's QOperator
    /// models use for attention and detection heads:
    ///     y = saturate(round_half_to_even(softmax(float(x − X_zero) · X_scale) / Y_scale) + Y_zero)
    /// along `axis` (default -1 whatever `opset` says, as ONNX Runtime's schema has it), with the
    /// Softmax semantics of opset `opset` (before 13 the input is flattened to 2-D at `axis`).
    /// Computed through the float Softmax (`EightBitThroughFloat`); ONNX Runtime sums a table of
    /// fixed-point exponentials instead, so an output can land a step away.
    enum QLinearSoftmax: Operator {
        static let type = "QLinearSoftmax"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let flattens = try node.int("opset") < 13
            let axis = try node.int("axis", default: -1)
            return Kernel { inputs, context in
                let x = try inputs.required(0, "X")
                let type = try QuantizedParameters.eightBitType(x, "X")
                let xq = try QuantizedParameters(scale: inputs.optional(1), zeroPoint: inputs.optional(2), of: type, name: "X_scale").scalar
                let yq = try QuantizedParameters(scale: inputs.optional(3), zeroPoint: inputs.optional(4), of: type, name: "Y_scale").scalar
                let normalized = try Axes.normalize(axis, rank: x.rank)
                let layout = flattens ? AxisLayout(flattening: x.shape, at: normalized) : AxisLayout(x.shape, axis: normalized)
                let probabilities = SoftmaxLanes.apply(EightBitThroughFloat.dequantize(x, scale: xq.scale, zeroPoint: xq.zeroPoint), layout,
                                                       log: false, threads: context.threads)
                return [EightBitThroughFloat.quantize(probabilities, to: type, scale: yq.scale, zeroPoint: yq.zeroPoint)]
            }
        }
    }
}

extension Ops.QLinearSoftmax: ShapePreserving {}
