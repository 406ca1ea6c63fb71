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
            // Shape inference passes declared sizes, which a file may make overflow.
            guard let count = Tensor.checkedElementCount(input) else { throw QConvertError("input shape \(input) has too many elements") }
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

extension Ops.Reshape: ShapeInferable {
    /// The requested shape, by `resolve` when every size is a number. With symbolic sizes a 0 still
    /// copies the input's dim, and a -1 is found when the symbolic dims on both sides cancel
    /// (x: [N, 64, 1, 1] to [N, -1] gives [N, 64]).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let requested: [Dim]? = query.context.opsetVersion >= 5 ? query.elements(1) : try query.node.ints("shape")?.map { .value($0) }
        guard let type = query.elementType(0), let requested else { return [nil] }
        let allowZero = try query.node.int("allowzero", default: 0) != 0
        guard let input = query.shape(0) else {
            return [ValueFacts(type, requested.map { $0 == .value(-1) || ($0 == .value(0) && !allowZero) ? .unknown : $0 })]
        }
        if let sizes = Dim.numbers(input), let target = Dim.numbers(requested) {
            return [ValueFacts(type, try resolve(target, from: sizes, allowZero: allowZero).map { .value($0) })]
        }
        var shape = try requested.enumerated().map { axis, dim -> Dim in
            guard dim == .value(0), !allowZero else { return dim }
            guard axis < input.count else { throw QConvertError("shape \(requested) copies dim \(axis) of a rank-\(input.count) input") }
            return input[axis]
        }
        if let inferred = shape.firstIndex(of: .value(-1)) {
            shape[inferred] = remainder(of: input, over: shape.enumerated().filter { $0.offset != inferred }.map(\.element))
        }
        return [ValueFacts(type, shape)]
    }

    /// The size that makes `known` hold all of `input`'s elements, when `input`'s symbolic dims all
    /// appear in `known` (and so cancel).
    static func remainder(of input: [Dim], over known: [Dim]) -> Dim {
        var symbols = input.filter { $0.number == nil }
        var divisor = 1
        for dim in known {
            if let size = dim.number {
                guard let product = Tensor.checkedElementCount([divisor, size]) else { return .unknown }
                divisor = product
            } else if dim != .unknown, let match = symbols.firstIndex(of: dim) {
                symbols.remove(at: match)
            } else {
                return .unknown
            }
        }
        guard let count = Tensor.checkedElementCount(input.compactMap(\.number)) else { return .unknown }
        return symbols.isEmpty && divisor > 0 && count % divisor == 0 ? .value(count / divisor) : .unknown
    }
}
