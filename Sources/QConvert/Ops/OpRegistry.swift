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
        Ops.Cast.self,
        Ops.Ceil.self,
        Ops.Clip.self,
        Ops.Concat.self,
        Ops.Constant.self,
        Ops.ConstantOfShape.self,
        Ops.Div.self,
        Ops.Dropout.self,
        Ops.Elu.self,
        Ops.Equal.self,
        Ops.Erf.self,
        Ops.Exp.self,
        Ops.Expand.self,
        Ops.Flatten.self,
        Ops.Floor.self,
        Ops.Gather.self,
        Ops.GatherElements.self,
        Ops.Gelu.self,
        Ops.Greater.self,
        Ops.GreaterOrEqual.self,
        Ops.HardSigmoid.self,
        Ops.HardSwish.self,
        Ops.Identity.self,
        Ops.If.self,
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
        Ops.Range.self,
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
        Ops.Reshape.self,
        Ops.Shape.self,
        Ops.Sigmoid.self,
        Ops.Size.self,
        Ops.Slice.self,
        Ops.Softmax.self,
        Ops.Softplus.self,
        Ops.Split.self,
        Ops.Sqrt.self,
        Ops.Squeeze.self,
        Ops.Sub.self,
        Ops.Sum.self,
        Ops.Tanh.self,
        Ops.Tile.self,
        Ops.TopK.self,
        Ops.Transpose.self,
        Ops.Unsqueeze.self,
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
