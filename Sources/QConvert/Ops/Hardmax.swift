import QConvertIR

extension Ops {
    /// Hardmax: y = 1 at the first maximum of each lane along `axis`, 0 elsewhere (float32). Lanes as
    /// Softmax's (`AxisLayout.lanes`: flattened at `axis` before opset 13, one axis from 13).
    enum Hardmax: Operator {
        static let type = "Hardmax"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let lanes = try AxisLayout.lanes(node, opset: context.opsetVersion)
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
                return [apply(x, try lanes(x.shape))]
            }
        }

        /// One-hot of the first maximum of every lane (o, i): elements (o * extent + k) * inner + i.
        /// As in ONNX Runtime, the maximum is a running one from the lane's first element, which a NaN
        /// never replaces: a lane starting with NaN is all zeros, later NaNs are passed over.
        static func apply(_ x: Tensor, _ layout: AxisLayout) -> Tensor {
            let (extent, inner) = (layout.extent, layout.inner)
            return x.withElements(of: Float.self) { source in
                Tensor(shape: x.shape, of: Float.self) { out in
                    guard extent > 0 else { return }
                    for o in 0..<layout.outer {
                        for i in 0..<inner {
                            let base = o * extent * inner + i
                            var best = 0
                            for k in 1..<extent where source[base + k * inner] > source[base + best * inner] { best = k }
                            if !source[base + best * inner].isNaN { out[base + best * inner] = 1 }
                        }
                    }
                }
            }
        }
    }
}

extension Ops.Hardmax: ShapePreserving {}
