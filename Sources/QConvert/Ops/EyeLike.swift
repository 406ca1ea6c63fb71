import QConvertIR

extension Ops {
    /// EyeLike: a 2-D tensor of the input's shape with ones on the diagonal j = i + k and zeros
    /// elsewhere, of type `dtype` (default: the input's); the input's values are not read.
    enum EyeLike: Operator {
        static let type = "EyeLike"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let k = try node.int("k", default: 0)
            let dtype = try node.attribute("dtype").map { _ in try Cast.target(node, attribute: "dtype") }
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard x.rank == 2 else { throw QConvertError("input must be 2-D, got shape \(x.shape)") }
                let target = dtype ?? x.dataType
                guard Conversion.supported.contains(target) else { throw QConvertError("EyeLike of \(target) is not supported") }
                let (rows, columns) = (x.shape[0], x.shape[1])
                let eye = Tensor(shape: x.shape, of: Float.self) { out in
                    for i in 0..<rows {
                        let (j, overflow) = i.addingReportingOverflow(k)
                        if !overflow, j >= 0, j < columns { out[i * columns + j] = 1 }
                    }
                }
                return [try Conversion.convert(eye, to: target)]
            }
        }
    }
}
