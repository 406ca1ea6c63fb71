import QConvertIR

extension Ops {
    /// ReduceMin: y = min of x over the reduced axes (float32, float64, int32, int64). Axes are an
    /// attribute before opset 18 and an input from 18; see `Reduction.kernel` for keepdims and empty axes.
    enum ReduceMin: Operator, ReductionFormula {
        static let type = "ReduceMin"

        static let identity: Double = .infinity
        static func combine(_ a: Double, _ b: Double) -> Double { min(a, b) }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceMin.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceMin: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
