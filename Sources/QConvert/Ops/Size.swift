import QConvertIR

extension Ops {
    /// Size: the input's element count as an int64 scalar.
    enum Size: Operator {
        static let type = "Size"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, _ in [Tensor(scalar: Int64(try inputs.required(0, "data").count))] }
        }
    }
}

extension Ops.Size: ShapeInferable {
    /// A scalar int64, whose value is known when every dim of the input is.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        let unknown = ValueFacts(.int64, [])
        guard let dims = query.inputs.first.flatMap({ $0 })?.shape else { return [unknown] }
        var count = 1
        for dim in dims {
            guard case .value(let n) = dim else { return [unknown] }
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { return [unknown] }
            count = product
        }
        return [ValueFacts.list([.value(count)], scalar: true)]
    }
}
