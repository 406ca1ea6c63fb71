import QConvertIR

extension Ops {
    /// IsNaN: y = (x is NaN), elementwise, a bool tensor of x's shape (float32 x).
    enum IsNaN: Operator {
        static let type = "IsNaN"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Elementwise.test(inputs.required(0, "X"), threads: context.threads) { $0.isNaN }] }
        }
    }
}

extension Ops.IsNaN: BoolOfInputShape {}
