import QConvertIR

extension Ops {
    /// IsInf: y = (x is +infinity and detect_positive ≠ 0) or (x is −infinity and detect_negative ≠ 0),
    /// elementwise, a bool tensor of x's shape (float32 x; both detected by default).
    enum IsInf: Operator {
        static let type = "IsInf"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let positive = try node.int("detect_positive", default: 1) != 0, negative = try node.int("detect_negative", default: 1) != 0
            return Kernel { inputs, context in
                [try Elementwise.test(inputs.required(0, "X"), threads: context.threads) { x in
                    x.isInfinite && (x > 0 ? positive : negative)
                }]
            }
        }
    }
}

extension Ops.IsInf: BoolOfInputShape {}
