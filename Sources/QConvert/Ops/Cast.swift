import QConvertIR

extension Ops {
    /// Cast: converts elements to the type `to` with ONNX Runtime's rules (see `Conversion`): float to
    /// integer truncates toward zero, integer narrowing wraps, float to float16 rounds to nearest even,
    /// anything to bool is x != 0.
    enum Cast: Operator {
        static let type = "Cast"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let target = try target(node)
            return Kernel { inputs, _ in [try Conversion.convert(inputs.required(0, "input"), to: target)] }
        }

        /// The element type `to` (or another attribute, EyeLike's `dtype`) names, checked: a hostile
        /// file's value may be any Int64.
        static func target(_ node: Node, attribute: String = "to") throws -> DataType {
            let to = try node.int(attribute)
            guard let code = Int32(exactly: to), Conversion.supported.contains(DataType(rawValue: code)) else {
                throw QConvertError("\(node.opType) to \(Int32(exactly: to).map { "\(DataType(rawValue: $0))" } ?? "type \(to)") is not supported")
            }
            return DataType(rawValue: code)
        }
    }
}

extension Ops.Cast: ShapeInferable {
    /// The input's shape as `to`; integer elements stay known through a cast between integer types.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let target = try target(query.node)
        guard let x = query.inputs.first ?? nil else { return [nil] }
        let integers: Set<DataType> = [.int32, .int64]
        return [ValueFacts(target, x.shape, elements: integers.contains(target) && integers.contains(x.elementType) ? x.elements : nil)]
    }
}
