import QConvertIR

extension Ops {
    /// Less: C = (A < B) as bool, elementwise with numpy broadcasting, on numeric inputs of one type.
    enum Less: Operator, BinaryComparison {
        static let type = "Less"

        static func holds<T: Comparable>(_ a: T, _ b: T) -> Bool { a < b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Broadcast.comparison(Less.self, inputs.required(0, "A"), inputs.required(1, "B"), threads: context.threads)]
            }
        }
    }
}

extension Ops.Less: ComparisonShaped {}
