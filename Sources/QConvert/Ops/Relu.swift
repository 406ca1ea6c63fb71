import QConvertIR

extension Ops {
    /// Relu: y = max(x, 0).
    enum Relu: Operator {
        static let type = "Relu"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Elementwise.unaryFloat(inputs, context) { max($0, 0) }]
            }
        }
    }
}
