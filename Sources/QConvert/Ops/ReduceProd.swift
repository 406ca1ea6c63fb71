import QConvertIR

extension Ops {
    /// ReduceProd: y = product of x over the reduced axes (float32, float64, int32, int64). Axes are an
    /// attribute before opset 18 and an input from 18; see `Reduction.kernel` for keepdims and empty axes.
    enum ReduceProd: Operator, ReductionFormula {
        static let type = "ReduceProd"

        static let identity: Double = 1
        static func combine(_ a: Double, _ b: Double) -> Double { a * b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceProd.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceProd: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
