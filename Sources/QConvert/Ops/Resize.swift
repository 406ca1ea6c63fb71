import QConvertIR

extension Ops {
    /// Resize: y[o] = Σ_t w_t · x[i_t] per axis, where each output index o maps to input coordinate
    /// c(o) by `coordinate_transformation_mode` (half_pixel: (o + 0.5) / scale − 0.5, ...) and the taps
    /// are the nearest index (`nearest_mode`), the two neighbours (linear) or four (cubic, Keys' kernel).
    ///
    /// Inputs by opset: (X, scales) at 10; (X, roi, scales, sizes) from 11, with an empty tensor for
    /// "not given"; from 18 the `axes` attribute restricts scales/sizes/roi to some axes and
    /// `keep_aspect_ratio_policy` may shrink or grow sizes to one common scale. `antialias` is not
    /// supported when downsampling (it changes nothing when upsampling). X is float32, or uint8/int8
    /// as ONNX Runtime's QOperator models use it (`EightBitThroughFloat`: nearest is exact, linear
    /// truncates as ONNX Runtime does).
    enum Resize: Operator {
        static let type = "Resize"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let legacy = context.opsetVersion < 11
            let sampling = try ResizeSampling(node, legacy: legacy)
            let axesAttribute = try node.ints("axes")
            let policy = try node.string("keep_aspect_ratio_policy", default: "stretch")
            guard ["stretch", "not_larger", "not_smaller"].contains(policy) else {
                throw QConvertError("keep_aspect_ratio_policy '\(policy)' is not one of stretch, not_larger, not_smaller")
            }
            let antialias = try node.int("antialias", default: 0) != 0
            return EightBitThroughFloat.accepting(Kernel { inputs, context in
                let x = try inputs.floatInput(0, "X")
                let axes = try (axesAttribute ?? Array(0..<x.rank)).map { axis in
                    guard (-x.rank..<x.rank).contains(axis) else { throw QConvertError("axis \(axis) is out of range for rank \(x.rank)") }
                    return axis < 0 ? axis + x.rank : axis
                }
                let scaleInput = legacy ? present(inputs, 1) : present(inputs, 2)
                let sizeInput = legacy ? nil : present(inputs, 3)
                var scales = [Float](repeating: 1, count: x.rank)
                var outputShape = x.shape
                if let sizeInput {
                    guard let sizes = sizeInput.integers(), sizes.count == axes.count else {
                        throw QConvertError("sizes must be \(axes.count) integers, got \(sizeInput.dataType) \(sizeInput.shape)")
                    }
                    let sized = try sized(sizes.map { Int($0) }, input: axes.map { x.shape[$0] }, policy: policy)
                    for (index, axis) in axes.enumerated() {
                        (scales[axis], outputShape[axis]) = (sized.scales[index], sized.sizes[index])
                    }
                } else if let scaleInput {
                    guard scaleInput.dataType == .float, scaleInput.count == axes.count else {
                        throw QConvertError("scales must be \(axes.count) float32 values, got \(scaleInput.dataType) \(scaleInput.shape)")
                    }
                    for (index, scale) in scaleInput.scalars(of: Float.self).enumerated() {
                        scales[axes[index]] = scale
                        guard scale > 0, scale.isFinite else { throw QConvertError("scale \(scale) must be positive") }
                        outputShape[axes[index]] = try outputSize(scale, x.shape[axes[index]], rounding: .towardZero)
                    }
                } else {
                    throw QConvertError("Resize needs scales or sizes")
                }
                if antialias && scales.contains(where: { $0 < 1 }) {
                    throw QConvertError("antialias when downsampling is not supported")
                }
                var roi = [(Float, Float)](repeating: (0, 1), count: x.rank)
                if sampling.coordinates == .tfCropAndResize, let roiInput = present(inputs, 1), let values = roiInput.floats() {
                    guard values.count == 2 * axes.count else { throw QConvertError("roi must have \(2 * axes.count) values, got \(values.count)") }
                    for (index, axis) in axes.enumerated() { roi[axis] = (values[index], values[index + axes.count]) }
                }
                return [try sampling.resize(x, scales: scales, outputShape: outputShape, roi: roi, threads: context.threads)]
            })
        }

        /// The scales and output sizes along the resized axes (of sizes `input`) for requested `sizes`:
        /// the sizes themselves with policy stretch, else one common scale (the smallest ratio for
        /// not_larger, the largest for not_smaller) applied to every axis.
        static func sized(_ sizes: [Int], input: [Int], policy: String) throws -> (scales: [Float], sizes: [Int]) {
            guard input.allSatisfy({ $0 > 0 }), sizes.allSatisfy({ $0 >= 0 }) else {
                throw QConvertError("cannot resize \(input) to sizes \(sizes)")
            }
            let ratios = input.indices.map { Float(sizes[$0]) / Float(input[$0]) }
            guard let common = policy == "not_larger" ? ratios.min() : policy == "not_smaller" ? ratios.max() : nil else {
                return (ratios, sizes)
            }
            return (ratios.map { _ in common }, try input.map { try outputSize(common, $0) })
        }

        /// scale · size rounded (to nearest, or down for scales), checked to be a sane size.
        static func outputSize(_ scale: Float, _ size: Int, rounding: FloatingPointRoundingRule = .toNearestOrAwayFromZero) throws -> Int {
            let value = (scale * Float(size)).rounded(rounding)
            guard value >= 0, value < Float(1 << 40) else { throw QConvertError("output size \(value) (scale \(scale) of \(size)) is out of range") }
            return Int(value)
        }

        /// Input `index` if given and not empty (Resize marks absent scales/sizes with empty tensors).
        static func present(_ inputs: [Tensor?], _ index: Int) -> Tensor? {
            guard index < inputs.count, let tensor = inputs[index], tensor.count > 0 else { return nil }
            return tensor
        }
    }
}

extension Ops.Resize: Quantizable {
    /// Quantized as passThrough in nearest mode (it copies values), as arithmetic when it interpolates.
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        try node.string("mode", default: "nearest") == "nearest" ? QuantizationRule(.passThrough) : QuantizationRule(.arithmetic)
    }
}

extension Ops.Resize: ShapeInferable {
    /// The input's shape with the resized axes sized as the kernel sizes them: from `sizes` (by
    /// `sized`), else scale · size rounded down; a symbolic size stays through a scale of 1.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        let legacy = query.context.opsetVersion < 11
        let axes = try (try query.node.ints("axes") ?? Array(0..<x.count)).map { try Axes.normalize($0, rank: x.count) }
        /// Whether input `index` is given as a non-empty tensor (nil: not known).
        func given(_ index: Int) -> Bool? {
            guard index < query.node.inputs.count, !query.node.inputs[index].isEmpty else { return false }
            guard let shape = query.shape(index) else { return nil }
            return shape != [.value(0)]
        }
        var shape = x
        if !legacy, let sizesGiven = given(3), sizesGiven {
            guard let sizes = query.elements(3), sizes.count == axes.count else { return [ValueFacts(type, x.map { _ in .unknown })] }
            let policy = try query.node.string("keep_aspect_ratio_policy", default: "stretch")
            if policy == "stretch" {
                for (index, axis) in axes.enumerated() { shape[axis] = sizes[index] }
            } else {
                let resized = Dim.numbers(axes.map { x[$0] }).flatMap { input in Dim.numbers(sizes).map { (input, $0) } }
                let sized = try resized.map { try self.sized($0.1, input: $0.0, policy: policy).sizes }
                for (index, axis) in axes.enumerated() { shape[axis] = sized.map { .value($0[index]) } ?? .unknown }
            }
        } else if let scales = query.tensor(legacy ? 1 : 2)?.floats(), scales.count == axes.count {
            for (index, axis) in axes.enumerated() {
                shape[axis] = try x[axis].mapped(unitStep: scales[index] == 1) { try outputSize(scales[index], $0, rounding: .towardZero) }
            }
        } else {
            return [ValueFacts(type, x.map { _ in .unknown })]
        }
        if let sizes = Dim.numbers(shape) { _ = try ShapeCount.of(sizes) }
        return [ValueFacts(type, shape)]
    }
}
