import QConvertIR

extension Ops {
    /// Sum: y = x0 + x1 + ... elementwise over any number of inputs, with numpy broadcasting; the
    /// additions are Add's, done left to right.
    enum Sum: Operator {
        static let type = "Sum"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in [try Broadcast.fold(Add.self, inputs, threads: context.threads)] }
        }
    }
}

extension Ops.Sum: BroadcastShaped {}
