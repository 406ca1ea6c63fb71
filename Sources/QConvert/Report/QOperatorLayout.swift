import QConvertIR

/// Where an integer op (QOperator form) keeps its integer inputs, their scales and zero points, and
/// its output's, by input index: what `QuantizedGraph` needs to read a QOperator model.
struct QOperatorLayout {
    /// An integer data input and the inputs holding its scale and zero point.
    struct Slot {
        var data: Int
        var scale: Int
        var zeroPoint: Int?
    }

    var inputs: [Slot]
    /// The output's (scale, zero point) inputs; nil when the output is not on a grid (int32 or float).
    var output: (Int, Int?)?

    /// Output-channel axis of a weight of rank `rank`: 0 for convolutions, the last for MatMul-like
    /// ops (B is [K, N]), 0 for QGemm with transB.
    func weightAxis(_ node: Node, _ rank: Int) -> Int {
        switch node.opType {
        case "QLinearConv", "ConvInteger": 0
        case "QGemm": Ops.Gemm.transposesB(node) ? 0 : rank - 1
        default: rank - 1
        }
    }

    static func of(_ node: Node) -> QOperatorLayout? {
        switch node.opType {
        case "QLinearConv", "QLinearMatMul":
            return QOperatorLayout(inputs: [Slot(data: 0, scale: 1, zeroPoint: 2), Slot(data: 3, scale: 4, zeroPoint: 5)], output: (6, 7))
        case "QGemm":
            // y_scale (7) and y_zero_point (8) are optional: without them the output is float.
            let output: (Int, Int?)? = node.inputs.count > 7 && !node.inputs[7].isEmpty ? (7, 8) : nil
            return QOperatorLayout(inputs: [Slot(data: 0, scale: 1, zeroPoint: 2), Slot(data: 3, scale: 4, zeroPoint: 5)], output: output)
        case "QLinearAdd", "QLinearMul":
            return QOperatorLayout(inputs: [Slot(data: 0, scale: 1, zeroPoint: 2), Slot(data: 3, scale: 4, zeroPoint: 5)], output: (6, 7))
        case "QLinearGlobalAveragePool", "QLinearSigmoid", "QLinearLeakyRelu", "QLinearAveragePool", "QLinearSoftmax":
            return QOperatorLayout(inputs: [Slot(data: 0, scale: 1, zeroPoint: 2)], output: (3, 4))
        case "QLinearConcat":
            let slots = stride(from: 2, to: node.inputs.count - 2, by: 3).map { Slot(data: $0, scale: $0 + 1, zeroPoint: $0 + 2) }
            return QOperatorLayout(inputs: slots, output: (0, 1))
        case "MatMulInteger", "ConvInteger":
            // No scales: the int32 product is scaled back to float by the nodes after it.
            return QOperatorLayout(inputs: [], output: nil)
        default:
            return nil
        }
    }
}
