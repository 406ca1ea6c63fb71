import QConvertIR

extension Ops {
    /// Greater: C = (A > B) as bool, elementwise with numpy broadcasting, on numeric inputs of one type.
    enum Greater: Operator, BinaryComparison {
        static let type = "Greater"

        static func holds<T: Comparable>(_ a: T, _ b: T) -> Bool { a > b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                [try Broadcast.comparison(Greater.self, inputs.required(0, "A"), inputs.required(1, "B"), threads: context.threads)]
            }
        }
    }
}

extension Ops.Greater: ComparisonShaped {}
