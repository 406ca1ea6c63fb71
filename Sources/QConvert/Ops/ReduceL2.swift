import QConvertIR

extension Ops {
    /// ReduceL2: y = sqrt(sum of x^2) over the reduced axes (float32, float64, int32, int64). Axes are an
    /// attribute before opset 18 and an input from 18; see `Reduction.kernel` for keepdims and empty axes.
    enum ReduceL2: Operator, ReductionFormula {
        static let type = "ReduceL2"

        static let identity: Double = 0
        static func combine(_ a: Double, _ b: Double) -> Double { a + b }
        static func map(_ x: Double) -> Double { x * x }
        static func finish(_ value: Double, count: Int) -> Double { value.squareRoot() }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceL2.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceL2: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
