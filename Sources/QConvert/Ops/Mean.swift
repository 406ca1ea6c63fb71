import QConvertIR

extension Ops {
    /// Mean: y = (x0 + x1 + ... + x(n-1)) / n elementwise, with numpy broadcasting (float32, float64).
    enum Mean: Operator {
        static let type = "Mean"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let sum = try Broadcast.fold(Add.self, inputs, threads: context.threads)
                let n = inputs.compactMap { $0 }.count
                let divisor: Tensor
                switch sum.dataType {
                case .float: divisor = Tensor(scalar: Float(n))
                case .double: divisor = Tensor(scalar: Double(n))
                default: throw QConvertError("expects float32 or float64 inputs, got \(sum.dataType)")
                }
                return [try Broadcast.arithmetic(Div.self, sum, divisor, threads: context.threads)]
            }
        }
    }
}

extension Ops.Mean: BroadcastShaped {}
