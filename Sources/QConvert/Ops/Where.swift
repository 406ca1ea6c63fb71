import QConvertIR

extension Ops {
    /// Where: output = condition ? X : Y elementwise, all three broadcast together (numpy rules); X and
    /// Y have one type, any fixed-width type (elements are moved, not interpreted).
    enum Where: Operator {
        static let type = "Where"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let condition = try inputs.required(0, "condition")
                let x = try inputs.required(1, "X"), y = try inputs.required(2, "Y")
                guard condition.dataType == .bool else { throw QConvertError("condition must be bool, got \(condition.dataType)") }
                guard x.dataType == y.dataType else { throw QConvertError("X and Y have different types \(x.dataType) and \(y.dataType)") }
                let plan = try Broadcast([condition.shape, x.shape, y.shape])
                func select<T: TensorElement>(_ type: T.Type) -> Tensor {
                    condition.withElements(of: UInt8.self) { c in
                        x.withElements(of: T.self) { a in
                            y.withElements(of: T.self) { b in
                                Tensor(uninitializedShape: plan.shape, dataType: x.dataType, of: T.self) { out in
                                    plan.select(c, a, b, into: out, threads: context.threads)
                                }
                            }
                        }
                    }
                }
                switch x.dataType.bitWidth {
                case 8: return [select(UInt8.self)]
                case 16: return [select(UInt16.self)]
                case 32: return [select(UInt32.self)]
                case 64: return [select(UInt64.self)]
                default: throw QConvertError("\(x.dataType) inputs are not supported")
                }
            }
        }
    }
}

extension Ops.Where: ShapeInferable {
    /// The broadcast of condition, X and Y, of X's type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        [try query.broadcast().map { ValueFacts(query.elementType(1) ?? .undefined, $0) }]
    }
}
