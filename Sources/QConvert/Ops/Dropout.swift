import QConvertIR

extension Ops {
    /// Dropout at inference: output = data (shared, no copy) and the optional mask all true (bool from
    /// opset 10, data's type before). Training mode, which drops at random, is an error.
    enum Dropout: Operator {
        static let type = "Dropout"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let boolMask = context.opsetVersion >= 10
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "data")
                if let training = inputs.optional(2), training.integers()?.contains(where: { $0 != 0 }) == true {
                    throw QConvertError("training_mode is true: random dropout is not supported")
                }
                let mask = Tensor(shape: x.shape, dataType: .bool, of: UInt8.self) { $0.update(repeating: 1) }
                return [x, boolMask ? mask : try Conversion.convert(mask, to: x.dataType)]
            }
        }
    }
}

extension Ops.Dropout: ShapePreserving {}
