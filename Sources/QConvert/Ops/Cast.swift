import QConvertIR

extension Ops {
    /// Cast: converts elements to the type `to` with ONNX Runtime's rules (see `Conversion`): float to
    /// integer truncates toward zero, integer narrowing wraps, float to float16 rounds to nearest even,
    /// anything to bool is x != 0.
    enum Cast: Operator {
        static let type = "Cast"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let target = DataType(rawValue: Int32(try node.int("to")))
            guard Conversion.supported.contains(target) else { throw QConvertError("Cast to \(target) is not supported") }
            return Kernel { inputs, _ in [try Conversion.convert(inputs.required(0, "input"), to: target)] }
        }
    }
}
