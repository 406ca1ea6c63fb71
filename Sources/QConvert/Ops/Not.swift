import QConvertIR

extension Ops {
    /// Not: y = !x, elementwise on a bool tensor (stored as 0/1 bytes).
    enum Not: Operator {
        static let type = "Not"

        /// The formula above as a value, so the shared loop is specialised for it and inlines it.
        struct Formula: UnaryFunction {
            func callAsFunction(_ x: UInt8) -> UInt8 { x == 0 ? 1 : 0 }
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.required(0, "X")
                guard x.dataType == .bool else { throw QConvertError("expects a bool input, got \(x.dataType)") }
                return [Elementwise.map(x, threads: context.threads, Formula())]
            }
        }
    }
}

extension Ops.Not: ShapePreserving {}
