import QConvert
import QConvertIR
import Testing

/// Broadcasting before opset 7 (the `broadcast`/`axis` attributes of Add/Sub/Mul/Div/Pow, and PRelu's
/// per-channel slope), which ONNX Runtime no longer runs: expected values are computed by hand.
@Suite struct LegacyBroadcastTests {
    let a = Tensor(shape: [2, 3], scalars: [Float(1), 2, 3, 4, 5, 6])

    @Test func axisAlignsBWithLeadingDims() throws {
        let b = Tensor(shape: [2], scalars: [Float(10), 20])
        let attributes = [Attribute(name: "broadcast", value: .int(1)), Attribute(name: "axis", value: .int(0))]
        let sum = try SingleNode.run("Add", [a, b], opset: 6, attributes)[0]
        #expect(sum.shape == [2, 3])
        #expect(sum.scalars(of: Float.self) == [11, 12, 13, 24, 25, 26])
    }

    @Test func withoutAxisBIsTrailing() throws {
        let b = Tensor(shape: [3], scalars: [Float(1), 2, 4])
        let product = try SingleNode.run("Mul", [a, b], opset: 6, [Attribute(name: "broadcast", value: .int(1))])[0]
        #expect(product.scalars(of: Float.self) == [1, 4, 12, 4, 10, 24])
    }

    @Test func differentShapesNeedTheBroadcastAttribute() {
        let b = Tensor(shape: [3], scalars: [Float(1), 2, 4])
        #expect(throws: QConvertError.self) { try SingleNode.run("Sub", [a, b], opset: 6) }
    }

    @Test func preluSlopeIsPerChannel() throws {
        let x = Tensor(shape: [1, 2, 2], scalars: [Float(-1), 2, -3, 4])
        let slope = Tensor(shape: [2], scalars: [Float(0.5), 0.25])
        let y = try SingleNode.run("PRelu", [x, slope], opset: 6)[0]
        #expect(y.scalars(of: Float.self) == [-0.5, 2, -0.75, 4])
    }
}
