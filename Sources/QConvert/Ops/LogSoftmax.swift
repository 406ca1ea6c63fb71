import QConvertIR

extension Ops {
    /// LogSoftmax: y = x - max - ln(sum of e^(x - max)) along `axis` (over the flattened trailing dims
    /// before opset 13); see `SoftmaxLanes`.
    enum LogSoftmax: Operator {
        static let type = "LogSoftmax"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try SoftmaxLanes.kernel(node, context, log: true)
        }
    }
}

extension Ops.LogSoftmax: ShapePreserving {}
