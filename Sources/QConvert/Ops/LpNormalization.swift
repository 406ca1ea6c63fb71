import QConvertIR

extension Ops {
    /// LpNormalization: y = x / ||x||_p along `axis` (default -1), p = 1 (sum of |x|) or 2 (default,
    /// Euclidean), float32, the norm taken in float64. A lane whose norm is 0 stays 0, as in ONNX Runtime.
    enum LpNormalization: Operator {
        static let type = "LpNormalization"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: -1)
            let p = try node.int("p", default: 2)
            guard p == 1 || p == 2 else { throw QConvertError("p must be 1 or 2, got \(p)") }
            return Kernel { inputs, _ in
                let x = try inputs.required(0, "input")
                guard x.dataType == .float else { throw QConvertError("expects float32 input, got \(x.dataType)") }
                let layout = AxisLayout(x.shape, axis: try Axes.normalize(axis, rank: x.rank))
                let (extent, inner) = (layout.extent, layout.inner)
                return [x.withElements(of: Float.self) { values in
                    Tensor(uninitializedShape: x.shape, of: Float.self) { out in
                        for o in 0..<layout.outer {
                            for i in 0..<inner {
                                let lane = stride(from: o * extent * inner + i, to: (o + 1) * extent * inner, by: inner)
                                let norm = p == 1 ? lane.reduce(0.0) { $0 + abs(Double(values[$1])) }
                                                  : lane.reduce(0.0) { $0 + Double(values[$1]) * Double(values[$1]) }.squareRoot()
                                for k in lane { out[k] = norm == 0 ? 0 : Float(Double(values[k]) / norm) }
                            }
                        }
                    }
                }]
            }
        }
    }
}

extension Ops.LpNormalization: ShapePreserving {}
