import QConvertIR

extension Ops {
    /// com.microsoft QLinearConcat: Concat of 8-bit tensors with their own scales and zero points into
    /// one (Y_scale, Y_zero_point), as ONNX Runtime computes it: each input i is requantized through a
    /// 256-entry table (`QuantizedLookupTable` with f the identity),
    ///     y_i = saturate(round_half_to_even(float(x_i − x_zero_i) · x_scale_i / Y_scale) + Y_zero)
    /// (an input with Y's scale and zero point is copied as is), then the parts are joined along `axis`.
    /// Inputs: Y_scale, Y_zero_point, then (X_i, X_scale_i, X_zero_point_i) for each input.
    enum QLinearConcat: Operator {
        static let type = "QLinearConcat"
        static let domain = "com.microsoft"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis")
            guard node.inputs.count >= 5, (node.inputs.count - 2) % 3 == 0 else {
                throw QConvertError("expects Y_scale, Y_zero_point and (X, X_scale, X_zero_point) for each input, got \(node.inputs.count) inputs")
            }
            return Kernel { inputs, context in
                let yZero = try inputs.required(1, "Y_zero_point")
                let type = try QuantizedParameters.eightBitType(yZero, "Y_zero_point")
                let yq = try QuantizedParameters(scale: inputs.optional(0), zeroPoint: yZero, of: type, name: "Y_scale")
                let parts = try stride(from: 2, to: inputs.count, by: 3).map { start -> Tensor in
                    let number = (start - 2) / 3
                    let x = try inputs.required(start, "X\(number)")
                    guard x.dataType == type else { throw QConvertError("input X\(number) is \(x.dataType), Y is \(type)") }
                    let xq = try QuantizedParameters(scale: inputs.optional(start + 1), zeroPoint: inputs.optional(start + 2),
                                                     of: type, name: "X_scale\(number)")
                    if xq.scalar == yq.scalar { return x }
                    return QuantizedLookupTable(type: type, input: xq.scalar, output: yq.scalar) { $0 }.apply(x, threads: context.threads)
                }
                return [try Concat.join(parts, axis: axis)]
            }
        }
    }
}
