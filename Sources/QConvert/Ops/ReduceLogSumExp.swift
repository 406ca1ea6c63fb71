import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// ReduceLogSumExp: y = ln(sum of e^x) over the reduced axes (float32, float64, int32, int64). Summed
    /// in float64, where e^x overflows only past x = 709, beyond any float32 input's reach of a finite
    /// float32 result. Axes are an attribute before opset 18 and an input from 18; see `Reduction.kernel`.
    enum ReduceLogSumExp: Operator, ReductionFormula {
        static let type = "ReduceLogSumExp"

        static let identity: Double = 0
        static func combine(_ a: Double, _ b: Double) -> Double { a + b }
        static func map(_ x: Double) -> Double { exp(x) }
        static func finish(_ value: Double, count: Int) -> Double { log(value) }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceLogSumExp.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceLogSumExp: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
