import QConvert
import QConvertIR
import QConvertTestSupport
import Testing

/// Attribute values from a hostile model (issue 9; pads and Cast's `to` found by
/// Scripts/mutate-real-models.py on ppocr_cls and ppocrv4_rec): window values past their limits, or
/// outputs past `ShapeCount`'s, and numbers past their type are one-line errors before anything is
/// allocated, never an overflow trap or an aborted terabyte allocation.
@Suite struct HostileAttributeTests {
    func floats(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: [Float](repeating: 1, count: shape.reduce(1, *)))
    }

    func error(_ op: String, _ inputs: [Tensor], _ attributes: [String: AttributeValue]) -> String {
        do {
            _ = try SingleNode.run(op, inputs, threads: 1, attributes.map { Attribute(name: $0.key, value: $0.value) })
            return "no error"
        } catch let error as QConvertError {
            #expect(!error.description.contains("\n"))
            return error.description
        } catch {
            return "unexpected error \(error)"
        }
    }

    /// pads of 2^32 made Conv allocate 1.5 TB (the process aborted).
    @Test func hugePadsAreRefused() {
        let message = error("Conv", [floats([1, 2, 4, 4]), floats([3, 2, 1, 1])], ["pads": .ints([0, 0, 1 << 32, 0])])
        #expect(message.hasSuffix("pads [0, 0, 4294967296, 0] exceeds 16777216, the largest qconvert accepts"), "\(message)")
    }

    /// Strides and pads within the attribute limit whose working memory is not: stride 65536 and pads
    /// 65536 on a 1 x 1 image asked for about 137 GB of scratch and aborted (found by review).
    @Test(arguments: ["Conv", "MaxPool"])
    func stridesFarBeyondTheInputAreRefused(op: String) {
        let s: Int64 = 1 << 16
        let attributes: [String: AttributeValue] = ["strides": .ints([s, s]), "pads": .ints([s, s, s, s])]
            .merging(op == "MaxPool" ? ["kernel_shape": .ints([Int64(1), 1])] : [:]) { a, _ in a }
        let inputs = op == "Conv" ? [floats([1, 1, 1, 1]), floats([1, 1, 1, 1])] : [floats([1, 1, 1, 1])]
        let message = error(op, inputs, attributes)
        #expect(message.contains("of working memory per channel"), "\(message)")
    }

    /// Within the attribute limit, but the whole output (batch, channels and spatial) is over
    /// ShapeCount's 2^32 elements.
    @Test func outputsPastTheElementLimitAreRefused() {
        let pads: AttributeValue = .ints([1 << 24, 1 << 24, 1 << 24, 1 << 24])
        let conv = error("Conv", [floats([1, 2, 4, 4]), floats([3, 2, 1, 1])], ["pads": pads])
        #expect(conv.hasSuffix("has too many elements"), "\(conv)")
        let pool = error("MaxPool", [floats([1, 2, 4, 4])], ["kernel_shape": .ints([1, 1]), "pads": pads])
        #expect(pool.hasSuffix("has too many elements"), "\(pool)")
        let transposed = error("ConvTranspose", [floats([1, 2, 4, 4]), floats([2, 3, 1, 1])], ["output_shape": .ints([1 << 20, 1 << 20])])
        #expect(transposed.hasSuffix("has too many elements"), "\(transposed)")
    }

    /// group times W's channels past Int: compared without overflowing.
    @Test func hugeGroupDoesNotOverflow() {
        let conv = error("Conv", [floats([1, 2, 4, 4]), floats([3, 2, 1, 1])], ["group": .int(1 << 62)])
        #expect(conv.contains("with group 4611686018427387904 expects more than"), "\(conv)")
        let transposed = error("ConvTranspose", [floats([1, 2, 4, 4]), floats([2, 4, 1, 1])], ["group": .int(1 << 62)])
        #expect(transposed.contains("group"), "\(transposed)")
    }

    @Test func hugeStridesAndDilationsAreRefused() {
        let strides = error("ConvTranspose", [floats([1, 2, 4, 4]), floats([2, 3, 1, 1])], ["strides": .ints([1 << 40, 1])])
        #expect(strides.hasSuffix("strides [1099511627776, 1] exceeds 16777216, the largest qconvert accepts"), "\(strides)")
        let dilations = error("Conv", [floats([1, 2, 4, 4]), floats([3, 2, 2, 2])], ["dilations": .ints([1 << 62, 1])])
        #expect(dilations.hasSuffix("exceeds 16777216, the largest qconvert accepts"), "\(dilations)")
    }

    /// Cast's `to` past Int32 trapped converting it to a type code.
    @Test func castToATypeCodePastInt32() throws {
        #expect(error("Cast", [floats([2])], ["to": .int(1 << 40)]).hasSuffix("Cast to type 1099511627776 is not supported"))
        #expect(error("Cast", [floats([2])], ["to": .int(99)]).hasSuffix("Cast to dtype(99) is not supported"))
        // Shape inference (inspect, prepare) read `to` too, and trapped (mutant #84 of ppocrv4_rec).
        var b = GraphBuilder()
        b.graph.inputs.append(ValueInfo(name: "x", elementType: .float, shape: [.value(2)]))
        b.output(b.node("Cast", ["x"], ["to": .int(1 << 62)]))
        // Shape inference leaves what it cannot work out unknown (the interpreter then gives the error).
        let (after, _) = try PassChecks.run(InferShapes(), on: b.model)
        #expect(after.graph.outputs[0].tensorType?.shape == nil)
    }

    /// Zero-element shapes still have their other dims held to the limit (ShapeCount).
    @Test func emptyShapeWithHugeDimsIsRefused() {
        let shape = Tensor(shape: [3], scalars: [Int64(0), 1 << 40, 1 << 40])
        #expect(error("ConstantOfShape", [shape], [:]).hasSuffix("shape [0, 1099511627776, 1099511627776] has too many elements"))
    }
}
