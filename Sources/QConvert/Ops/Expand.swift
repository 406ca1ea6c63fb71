import QConvertIR

extension Ops {
    /// Expand: broadcasts input to the numpy broadcast of its shape and `shape` (so a 1 in `shape`
    /// keeps the input's dim): out[i] = input[i with broadcast dims set to 0]. Any fixed-width type.
    enum Expand: Operator {
        static let type = "Expand"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let x = try inputs.required(0, "input")
                let target = try inputs.required(1, "shape").intValues("shape")
                _ = try ShapeCount.of(target)
                let shape = try Broadcast.shape([x.shape, target])
                _ = try ShapeCount.of(shape)
                if shape == x.shape { return [x] }
                let strides = Broadcast.strides(of: x.shape, along: shape.count)
                return [try StridedCopy.copy(x, shape: shape, strides: strides, offset: 0, threads: context.threads)]
            }
        }
    }
}

extension Ops.Expand: ShapeInferable {
    /// The broadcast of the input's shape and the listed one.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let target = query.elements(1), let type = query.elementType(0) else { return [nil] }
        return [ValueFacts(type, try Dim.broadcast([x, target]))]
    }
}
