import QConvertIR

extension Ops {
    /// Squeeze: removes the listed size-1 dims (all size-1 dims when none are listed), no copy. Axes are
    /// an attribute before opset 13, an optional input from 13; a listed dim that is not 1 is an error.
    enum Squeeze: Operator {
        static let type = "Squeeze"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axes = try IntListArgument(node, context, name: "axes", input: 1, inputSince: 13)
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "data")
                guard let listed = try axes.value(inputs, name: "axes"), !listed.isEmpty else {
                    return [x.reshaped(x.shape.filter { $0 != 1 })]
                }
                let removed = try Axes.normalize(listed, rank: x.rank)
                for axis in removed where x.shape[axis] != 1 {
                    throw QConvertError("cannot squeeze axis \(axis) of shape \(x.shape): its size is not 1")
                }
                return [x.reshaped(x.shape.enumerated().filter { !removed.contains($0.offset) }.map(\.element))]
            }
        }
    }
}

extension Ops.Squeeze: Quantizable {
    /// Quantized as passThrough: moves values.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        QuantizationRule(.passThrough)
    }
}

extension Ops.Squeeze: ShapeInferable {
    /// The input's shape without the listed axes (without its 1s when none are listed, which needs
    /// every dim known). A list keeps its elements.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0), let listed = try query.list("axes", input: 1, inputSince: 13) else {
            return [nil]
        }
        guard let listed, !listed.isEmpty else {
            return [Dim.numbers(x) == nil ? nil : ValueFacts(type, x.filter { $0 != .value(1) }, elements: query.elements(0))]
        }
        let removed = try Axes.normalize(listed, rank: x.count)
        for axis in removed where x[axis].number.map({ $0 != 1 }) ?? false {
            throw QConvertError("cannot squeeze axis \(axis) of shape \(x): its size is not 1")
        }
        return [ValueFacts(type, x.enumerated().filter { !removed.contains($0.offset) }.map(\.element), elements: query.elements(0))]
    }
}
