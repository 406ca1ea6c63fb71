import QConvertIR

extension Ops {
    /// ReduceSum: y = sum of x over the reduced axes (float32, float64, int32, int64). Axes are an
    /// attribute before opset 13 and an input from 13; see `Reduction.kernel` for keepdims and empty axes.
    enum ReduceSum: Operator, ReductionFormula {
        static let type = "ReduceSum"

        static let identity: Double = 0
        static func combine(_ a: Double, _ b: Double) -> Double { a + b }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceSum.self, node, context, axesInputSince: 13)
        }
    }
}

extension Ops.ReduceSum: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 13) }
}
