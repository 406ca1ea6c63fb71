import QConvertIR

extension Ops {
    /// MatMulInteger: Y[..., i, j] = Σ_k (A[..., i, k] − a_zero_point) · (B[..., k, j] − b_zero_point[j])
    /// in int32, with MatMul's shape rules, for uint8 or int8 A and B (zero points default to 0). A's zero
    /// point is per tensor (as in ONNX Runtime; ONNX's per-row form is refused), B's per tensor or per
    /// column.
    enum MatMulInteger: Operator {
        static let type = "MatMulInteger"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let packed = try constantB(node, context)
            return Kernel { inputs, context in
                let a = try inputs.required(0, "A")
                let aZero = try zeroPoint(inputs.optional(2), of: QuantizedParameters.eightBitType(a, "A"), name: "a_zero_point", count: 1)
                let b = try inputs.required(1, "B")
                let bPacked = try packed ?? IntegerMatMul.PackedB(b, zeroPoints: bZeroPoints(b, inputs.optional(3)))
                return [try IntegerMatMul.accumulate(a, aZeroPoint: aZero[0], bPacked, threads: context.threads)]
            }
        }

        /// B's zero points: one, or one per column.
        static func bZeroPoints(_ b: Tensor, _ zeroPoint: Tensor?) throws -> [Int32] {
            let columns = b.rank >= 2 ? b.shape[b.rank - 1] : 1
            return try self.zeroPoint(zeroPoint, of: QuantizedParameters.eightBitType(b, "B"), name: "b_zero_point", count: columns)
        }

        /// A zero point input of `type` with 1 or `count` values ([0] when omitted).
        static func zeroPoint(_ tensor: Tensor?, of type: DataType, name: String, count: Int) throws -> [Int32] {
            guard let tensor else { return [0] }
            guard tensor.dataType == type else { throw QConvertError("\(name) must be \(type) like its tensor, got \(tensor.dataType)") }
            guard tensor.rank <= 1, tensor.count == 1 || tensor.count == count else {
                throw QConvertError("\(name) has shape \(tensor.shape), expected 1\(count > 1 ? " or \(count)" : "") value\(count > 1 ? "s" : "")")
            }
            return (tensor.integers() ?? []).map { Int32($0) }
        }

        /// B packed once, when it and its zero point are constants.
        static func constantB(_ node: Node, _ context: CompileContext) throws -> IntegerMatMul.PackedB? {
            guard let b = context.constant(node, input: 1) else { return nil }
            let hasZeroPoint = node.inputs.count > 3 && !node.inputs[3].isEmpty
            let zeroPoint = context.constant(node, input: 3)
            if hasZeroPoint && zeroPoint == nil { return nil }
            return try IntegerMatMul.PackedB(b, zeroPoints: bZeroPoints(b, zeroPoint))
        }
    }
}
