import QConvertIR

extension Ops {
    /// Equal: C = (A == B) as bool, elementwise with numpy broadcasting, on numeric and bool inputs of one
    /// type.
    enum Equal: Operator, BinaryComparison {
        static let type = "Equal"

        static func holds<T: Comparable>(_ a: T, _ b: T) -> Bool { a == b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Broadcast.comparison(Equal.self, inputs.required(0, "A"), inputs.required(1, "B"), threads: context.threads)]
            }
        }
    }
}

extension Ops.Equal: ComparisonShaped {}
