import QConvertIR

extension Ops {
    /// Reshape: the same elements under a new shape (no copy). In `shape`, -1 (at most once) is
    /// inferred from the element count and 0 copies the input's dim at that position, unless
    /// `allowzero` (opset 14) makes it a real 0. The shape is an input from opset 5, an attribute before.
    enum Reshape: Operator {
        static let type = "Reshape"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let shape = try IntListArgument(node, context, name: "shape", input: 1, inputSince: 5)
            let allowZero = try node.int("allowzero", default: 0) != 0
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "data")
                guard let requested = try shape.value(inputs, name: "shape") else { throw QConvertError("shape is required") }
                return [x.reshaped(try resolve(requested, from: x.shape, allowZero: allowZero))]
            }
        }

        /// The output shape `requested` describes for an input of shape `input`.
        static func resolve(_ requested: [Int], from input: [Int], allowZero: Bool) throws -> [Int] {
            let count = input.reduce(1, *)
            var shape = requested
            var inferred: Int?
            for (axis, dim) in requested.enumerated() {
                switch dim {
                case -1:
                    guard inferred == nil else { throw QConvertError("shape \(requested) has more than one -1") }
                    inferred = axis
                case 0 where !allowZero:
                    guard axis < input.count else {
                        throw QConvertError("shape \(requested) copies dim \(axis) of a rank-\(input.count) input")
                    }
                    shape[axis] = input[axis]
                case ..<0:
                    throw QConvertError("shape \(requested) has a negative dimension")
                default:
                    break
                }
            }
            if let inferred {
                let known = try ShapeCount.of(shape.enumerated().filter { $0.offset != inferred }.map(\.element))
                guard known > 0, count % known == 0 else {
                    throw QConvertError("cannot reshape \(input) to \(requested): the -1 cannot be inferred")
                }
                shape[inferred] = count / known
            }
            guard try ShapeCount.of(shape) == count else {
                throw QConvertError("cannot reshape \(input) (\(count) elements) to \(requested)")
            }
            return shape
        }
    }
}

extension Ops.Reshape: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}
