import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// ReduceLogSum: y = ln(sum of x) over the reduced axes (float32, float64, int32, int64). Axes are an
    /// attribute before opset 18 and an input from 18; see `Reduction.kernel` for keepdims and empty axes.
    enum ReduceLogSum: Operator, ReductionFormula {
        static let type = "ReduceLogSum"

        static let identity: Double = 0
        static func combine(_ a: Double, _ b: Double) -> Double { a + b }
        static func finish(_ value: Double, count: Int) -> Double { log(value) }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceLogSum.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceLogSum: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
