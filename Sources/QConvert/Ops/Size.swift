import QConvertIR

extension Ops {
    /// Size: the input's element count as an int64 scalar.
    enum Size: Operator {
        static let type = "Size"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in [Tensor(scalar: Int64(try inputs.required(0, "data").count))] }
        }
    }
}
