import QConvertIR

extension Ops {
    /// LessOrEqual: C = (A <= B) as bool, elementwise with numpy broadcasting, on numeric inputs of one
    /// type.
    enum LessOrEqual: Operator, BinaryComparison {
        static let type = "LessOrEqual"

        static func holds<T: Comparable>(_ a: T, _ b: T) -> Bool { a <= b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Broadcast.comparison(LessOrEqual.self, inputs.required(0, "A"), inputs.required(1, "B"), threads: context.threads)]
            }
        }
    }
}

extension Ops.LessOrEqual: ComparisonShaped {}
