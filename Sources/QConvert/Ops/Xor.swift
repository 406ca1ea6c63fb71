import QConvertIR

extension Ops {
    /// Xor: C = A xor B, elementwise on bool tensors with numpy broadcasting.
    enum Xor: Operator {
        static let type = "Xor"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: BinaryFunction {
            func callAsFunction(_ a: UInt8, _ b: UInt8) -> UInt8 { (a != 0) != (b != 0) ? 1 : 0 }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Broadcast.logical(inputs.required(0, "A"), inputs.required(1, "B"), threads: context.threads, Formula())]
            }
        }
    }
}

extension Ops.Xor: BroadcastShaped {}
