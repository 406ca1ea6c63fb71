import QConvertIR

extension Ops {
    /// Upsample (deprecated for Resize): y[o] = x[floor(o / scale)] per axis (nearest) or linear
    /// interpolation at o / scale, with the scales as an attribute (opsets 7-8) or input 1 (opset 9).
    /// It is Resize-10 under another name and shares its kernel.
    enum Upsample: Operator {
        static let type = "Upsample"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let sampling = try ResizeSampling(node, legacy: true)
            let attributeScales = try node.floats("scales")
            return Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let scales = try attributeScales ?? inputs.floatInput(1, "scales").scalars(of: Float.self)
                guard scales.count == x.rank else { throw QConvertError("scales must have \(x.rank) values, got \(scales.count)") }
                guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw QConvertError("scales \(scales) must be positive") }
                let outputShape = try x.shape.indices.map { try Resize.outputSize(scales[$0], x.shape[$0], rounding: .towardZero) }
                return [try sampling.resize(x, scales: scales, outputShape: outputShape,
                                            roi: Array(repeating: (0, 1), count: x.rank), threads: context.threads)]
            }
        }
    }
}
