/// Every operator the interpreter can run, one per line, alphabetised by domain then type.
/// A test checks the list has no duplicates and that every op in every fixture is either here or
/// deliberately unsupported.
public enum OpRegistry {
    public static let operators: [any Operator.Type] = [
        Ops.AveragePool.self,
        Ops.BatchNormalization.self,
        Ops.Constant.self,
        Ops.Conv.self,
        Ops.ConvTranspose.self,
        Ops.GRU.self,
        Ops.Gemm.self,
        Ops.GlobalAveragePool.self,
        Ops.GlobalMaxPool.self,
        Ops.Identity.self,
        Ops.LSTM.self,
        Ops.MatMul.self,
        Ops.MaxPool.self,
        Ops.Pad.self,
        Ops.Relu.self,
        Ops.Resize.self,
        Ops.Upsample.self,
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
