import QConvertIR

extension Ops {
    /// SpaceToDepth: [N, C, H, W] -> [N, C·b², H/b, W/b], each b x b spatial tile stacked into
    /// channels (block offset outer, then the channel), the inverse of DepthToSpace in DCR mode.
    /// Any fixed-width type.
    enum SpaceToDepth: Operator {
        static let type = "SpaceToDepth"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let b = try BlockRearrangement.blockSize(node)
            return Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                let (n, c, h, w) = try BlockRearrangement.dims(x)
                guard h % b == 0, w % b == 0 else { throw QConvertError("height \(h) and width \(w) must be multiples of blocksize \(b)") }
                return [try BlockRearrangement.rearranged(x, view: [n, c, h / b, b, w / b, b], order: [0, 3, 5, 1, 2, 4],
                                                          shape: [n, c * b * b, h / b, w / b], threads: context.threads)]
            }
        }
    }
}

extension Ops.SpaceToDepth: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.SpaceToDepth: ShapeInferable {
    /// [N, C·b², H/b, W/b] of the input's type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [nil] }
        let b = try BlockRearrangement.blockSize(query.node)
        guard let x = query.shape(0), x.count == 4 else { return [ValueFacts(type, nil)] }
        return [ValueFacts(type, [x[0], BlockRearrangement.scaled(x[1], by: b * b),
                                  BlockRearrangement.divided(x[2], by: b), BlockRearrangement.divided(x[3], by: b)])]
    }
}
