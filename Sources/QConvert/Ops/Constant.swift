import QConvertIR

extension Ops {
    /// Constant: outputs the tensor held in its `value*` attribute. The interpreter folds these at
    /// compile time; the kernel exists for graphs run without that (and to reject sparse values).
    enum Constant: Operator {
        static let type = "Constant"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            guard let value = node.constantValue() else {
                throw QConvertError("Constant has no supported value attribute (sparse_value is not supported)")
            }
            return Kernel { _, _ in [value] }
        }
    }
}

extension Ops.Constant: ShapeInferable {
    /// The value's type and shape (and elements, for a short integer list).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] { [query.node.constantValue().map(ValueFacts.init)] }
}
