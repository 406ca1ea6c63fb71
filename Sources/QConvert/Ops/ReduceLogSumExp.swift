import QConvertIR
#if canImport(Glibc)
import Glibc
#endif

extension Ops {
    /// ReduceLogSumExp: y = ln(sum of e^x) over the reduced axes (float32, float64, int32, int64).
    /// Accumulated in the log domain, ln(e^a + e^b) = max(a, b) + ln(1 + e^-|a - b|), so neither large
    /// values (e^1000 overflows even float64) nor large negative ones (attention masks of -1e4, whose
    /// e^x underflows to 0) are lost. Axes are an attribute before opset 18 and an input from 18; see
    /// `Reduction.kernel`.
    enum ReduceLogSumExp: Operator, ReductionFormula {
        static let type = "ReduceLogSumExp"

        static let identity = -Double.infinity
        static func combine(_ a: Double, _ b: Double) -> Double {
            if a.isNaN || b.isNaN { return .nan }
            let (high, low) = a >= b ? (a, b) : (b, a)
            guard low > -.infinity else { return high }   // also keeps +inf and the empty sum (-inf) exact
            return high + log1p(exp(low - high))
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            try Reduction.kernel(ReduceLogSumExp.self, node, context, axesInputSince: 18)
        }
    }
}

extension Ops.ReduceLogSumExp: ShapeInferable {
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { try Reduction.inferOutputs(query, axesInputSince: 18) }
}
