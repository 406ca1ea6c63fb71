import QConvertIR

extension Ops {
    /// DepthToSpace: [N, C, H, W] -> [N, C/b², H·b, W·b], channel blocks of b² laid out as b x b
    /// spatial tiles (super-resolution upsampling heads). mode DCR (default): the block index is
    /// the outer part of the channel (depth, column, row); CRD: the inner part. Any fixed-width type.
    enum DepthToSpace: Operator {
        static let type = "DepthToSpace"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let b = try BlockRearrangement.blockSize(node), mode = try node.string("mode", default: "DCR")
            guard mode == "DCR" || mode == "CRD" else { throw QConvertError("mode must be DCR or CRD, got '\(mode)'") }
            return Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                let (n, c, h, w) = try BlockRearrangement.dims(x)
                guard c % (b * b) == 0 else { throw QConvertError("channels \(c) are not a multiple of blocksize² = \(b * b)") }
                let depth = c / (b * b), shape = [n, depth, h * b, w * b]
                return [mode == "DCR"
                    ? try BlockRearrangement.rearranged(x, view: [n, b, b, depth, h, w], order: [0, 3, 4, 1, 5, 2], shape: shape, threads: context.threads)
                    : try BlockRearrangement.rearranged(x, view: [n, depth, b, b, h, w], order: [0, 1, 4, 2, 5, 3], shape: shape, threads: context.threads)]
            }
        }
    }
}

extension Ops.DepthToSpace: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.DepthToSpace: ShapeInferable {
    /// [N, C/b², H·b, W·b] of the input's type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let type = query.elementType(0) else { return [nil] }
        let b = try BlockRearrangement.blockSize(query.node)
        guard let x = query.shape(0), x.count == 4 else { return [ValueFacts(type, nil)] }
        return [ValueFacts(type, [x[0], BlockRearrangement.divided(x[1], by: b * b),
                                  BlockRearrangement.scaled(x[2], by: b), BlockRearrangement.scaled(x[3], by: b)])]
    }
}
