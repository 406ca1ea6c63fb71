/// Every operator the interpreter can run, one per line, alphabetised by domain then type.
/// A test checks the list has no duplicates and that every op in every fixture is either here or
/// deliberately unsupported.
public enum OpRegistry {
    public static let operators: [any Operator.Type] = [
        Ops.Abs.self,
        Ops.Add.self,
        Ops.And.self,
        Ops.ArgMax.self,
        Ops.ArgMin.self,
        Ops.Ceil.self,
        Ops.Clip.self,
        Ops.Constant.self,
        Ops.Div.self,
        Ops.Elu.self,
        Ops.Equal.self,
        Ops.Erf.self,
        Ops.Exp.self,
        Ops.Floor.self,
        Ops.Gelu.self,
        Ops.Greater.self,
        Ops.GreaterOrEqual.self,
        Ops.HardSigmoid.self,
        Ops.HardSwish.self,
        Ops.Identity.self,
        Ops.InstanceNormalization.self,
        Ops.LayerNormalization.self,
        Ops.LeakyRelu.self,
        Ops.Less.self,
        Ops.LessOrEqual.self,
        Ops.Log.self,
        Ops.LogSoftmax.self,
        Ops.Max.self,
        Ops.Mean.self,
        Ops.Min.self,
        Ops.Mul.self,
        Ops.Neg.self,
        Ops.Not.self,
        Ops.Or.self,
        Ops.PRelu.self,
        Ops.Pow.self,
        Ops.Reciprocal.self,
        Ops.ReduceL1.self,
        Ops.ReduceL2.self,
        Ops.ReduceMax.self,
        Ops.ReduceMean.self,
        Ops.ReduceMin.self,
        Ops.ReduceProd.self,
        Ops.ReduceSum.self,
        Ops.ReduceSumSquare.self,
        Ops.Relu.self,
        Ops.Sigmoid.self,
        Ops.Softmax.self,
        Ops.Softplus.self,
        Ops.Sqrt.self,
        Ops.Sub.self,
        Ops.Sum.self,
        Ops.Tanh.self,
        Ops.TopK.self,
        Ops.Where.self,
    ]

    private static let table: [String: any Operator.Type] = {
        var table: [String: any Operator.Type] = [:]
        for op in operators { table[op.domain + ":" + op.type] = op }
        return table
    }()

    /// The operator for an op type in a domain ("" or "ai.onnx" for the default domain).
    public static func lookup(type: String, domain: String) -> (any Operator.Type)? {
        table[(domain == "ai.onnx" ? "" : domain) + ":" + type]
    }
}
