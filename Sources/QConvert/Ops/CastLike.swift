import QConvertIR

extension Ops {
    /// CastLike (opset 15): Cast of `input` to the element type of `target_type` (whose values are
    /// not read), with Cast's rules (`Conversion`). PyTorch's exporter writes it to match a constant's
    /// type to a tensor's.
    enum CastLike: Operator {
        static let type = "CastLike"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in
                let target = try inputs.required(1, "target_type").dataType
                guard Conversion.supported.contains(target) else { throw QConvertError("CastLike to \(target) is not supported") }
                return [try Conversion.convert(inputs.required(0, "input"), to: target)]
            }
        }
    }
}

extension Ops.CastLike: ShapeInferable {
    /// The input's shape as target_type's element type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.inputs.first ?? nil, let target = query.elementType(1) else { return [nil] }
        return [ValueFacts(target, x.shape)]
    }
}
