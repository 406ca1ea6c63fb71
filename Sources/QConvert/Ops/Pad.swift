import QConvertIR

extension Ops {
    /// Pad: y[o] = x[src(o)] with src(o) = o − pad_begin per axis, and where that falls outside the
    /// input: the constant (mode constant), the nearest edge element (edge), the mirror image without
    /// repeating the edge (reflect) or the other end (wrap). Negative pads crop.
    ///
    /// Pads come from the `pads`/`value` attributes before opset 11 and from inputs (pads, constant_value,
    /// and from opset 18 axes) after. The kernel moves elements without looking at them, so it works
    /// for every fixed-width element type.
    enum Pad: Operator {
        static let type = "Pad"

        enum Mode: String {
            case constant, reflect, edge, wrap
        }

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let modeName = try node.string("mode", default: "constant")
            guard let mode = Mode(rawValue: modeName) else { throw QConvertError("mode '\(modeName)' is not one of constant, reflect, edge, wrap") }
            let legacy = context.opsetVersion < 11
            let attributePads = legacy ? try node.ints("pads") : nil
            if legacy && attributePads == nil { throw QConvertError("missing required attribute 'pads'") }
            let attributeValue = legacy ? try node.float("value", default: 0) : 0
            return Kernel { inputs, context in
                guard let x = inputs.first ?? nil else { throw QConvertError("missing input data") }
                let width = x.dataType.bitWidth / 8
                guard x.dataType.bitWidth % 8 == 0, [1, 2, 4, 8].contains(width) else { throw QConvertError("cannot pad \(x.dataType) tensors") }
                guard x.rank > 0 else { return [x] }
                let pads = try legacy ? attributePads! : padsInput(inputs, rank: x.rank)
                guard pads.count == 2 * x.rank else { throw QConvertError("pads must have \(2 * x.rank) values for rank \(x.rank), got \(pads.count)") }
                let constant = try constantBytes(inputs, legacy: legacy, value: attributeValue, type: x.dataType)
                let shape = try x.shape.indices.map { axis -> Int in
                    let size = try padded(x.shape[axis], axis: axis, pads: pads, of: "\(x.shape)")
                    if mode != .constant && x.shape[axis] == 0 && size > 0 { throw QConvertError("cannot \(mode.rawValue)-pad the empty axis \(axis)") }
                    return size
                }
                // An empty output reads nothing: its per-axis source maps (a dim may still be 2^32) are skipped.
                let sources = try ShapeCount.of(shape) == 0 ? [] : x.shape.indices.map { axis in
                    (0..<shape[axis]).map { source($0 - pads[axis], size: x.shape[axis], mode: mode) }
                }
                switch width {
                case 1: return [gather(x, UInt8.self, shape: shape, sources: sources, constant: constant, threads: context.threads)]
                case 2: return [gather(x, UInt16.self, shape: shape, sources: sources, constant: constant, threads: context.threads)]
                case 4: return [gather(x, UInt32.self, shape: shape, sources: sources, constant: constant, threads: context.threads)]
                default: return [gather(x, UInt64.self, shape: shape, sources: sources, constant: constant, threads: context.threads)]
                }
            }
        }

        /// Pads from input 1 (int64), spread to all axes when input 3 (`axes`, opset 18) lists some.
        static func padsInput(_ inputs: [Tensor?], rank: Int) throws -> [Int] {
            guard inputs.count > 1, let tensor = inputs[1], let values = tensor.integers() else { throw QConvertError("missing int64 input pads") }
            guard inputs.count > 3, let axesTensor = inputs[3], let axes = axesTensor.integers() else { return values.map { Int($0) } }
            guard values.count == 2 * axes.count else { throw QConvertError("pads must have \(2 * axes.count) values for \(axes.count) axes") }
            var pads = [Int](repeating: 0, count: 2 * rank)
            for (index, axis) in axes.enumerated() {
                guard (-rank..<rank).contains(Int(axis)) else { throw QConvertError("axis \(axis) is out of range for rank \(rank)") }
                let a = axis < 0 ? Int(axis) + rank : Int(axis)
                (pads[a], pads[a + rank]) = (Int(values[index]), Int(values[index + axes.count]))
            }
            return pads
        }

        /// The constant's element bytes: input 2 (opset 11+; empty or absent means 0) or the `value` attribute.
        static func constantBytes(_ inputs: [Tensor?], legacy: Bool, value: Float, type: DataType) throws -> UInt64 {
            if !legacy, inputs.count > 2, let tensor = inputs[2], tensor.count > 0 {
                guard tensor.dataType == type else { throw QConvertError("constant_value must be \(type) like the data, got \(tensor.dataType)") }
                var bits: UInt64 = 0
                withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: tensor.storage.bytes[..<(type.bitWidth / 8)])) }
                return bits
            }
            if value == 0 { return 0 }
            switch type {
            case .float: return UInt64(value.bitPattern)
            case .double: return Double(value).bitPattern
            default: throw QConvertError("a non-zero pad value needs float data, got \(type)")
            }
        }

        /// The size of axis `axis` (of size `size`, in a shape described by `shape`) grown by its begin
        /// and end pads: an error where the sum overflows (pads come from the model) or crops below zero.
        static func padded(_ size: Int, axis: Int, pads: [Int], of shape: String) throws -> Int {
            guard let total = Dim.checkedSum([size, pads[axis], pads[axis + pads.count / 2]]) else {
                throw QConvertError("pads \(pads) overflow axis \(axis) of \(shape)")
            }
            guard total >= 0 else { throw QConvertError("pads \(pads) crop axis \(axis) of \(shape) below zero") }
            return total
        }

        /// The input index read by output position `i − pad_begin` = `offset`, or nil for the constant.
        static func source(_ offset: Int, size: Int, mode: Mode) -> Int? {
            if offset >= 0 && offset < size { return offset }
            switch mode {
            case .constant: return nil
            case .edge: return min(max(offset, 0), size - 1)
            case .wrap: return (offset % size + size) % size
            case .reflect:
                guard size > 1 else { return 0 }
                let period = 2 * (size - 1)
                let folded = (offset % period + period) % period
                return folded < size ? folded : period - folded
            }
        }

        /// y[o] = x[sources[0][o_0], ...] (the constant where any source is nil), row by row.
        static func gather<T: TensorElement & FixedWidthInteger>(
            _ x: Tensor, _ type: T.Type, shape: [Int], sources: [[Int?]], constant: UInt64, threads: Int
        ) -> Tensor {
            let rank = shape.count
            let fill = T(truncatingIfNeeded: constant)
            let output = Tensor(shape: shape, of: T.self) { out in
                let typed = UnsafeRawPointer(x.storage.bytes.baseAddress)?.assumingMemoryBound(to: T.self)
                guard out.count > 0, let src = typed else {
                    out.initialize(repeating: fill)
                    return
                }
                var strides = [Int](repeating: 1, count: rank)
                for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * x.shape[axis + 1] }
                let width = shape[rank - 1]
                let inner = sources[rank - 1]
                Parallel.forEach(count: out.count / width, grain: max(1, (1 << 15) / width), threads: threads) { range in
                    for row in range {
                        var base: Int? = 0, rest = row
                        for axis in stride(from: rank - 2, through: 0, by: -1) {
                            let index = sources[axis][rest % shape[axis]]
                            rest /= shape[axis]
                            base = base.flatMap { b in index.map { b + $0 * strides[axis] } }
                        }
                        let line = out.baseAddress! + row * width
                        guard let base else {
                            line.initialize(repeating: fill, count: width)
                            continue
                        }
                        for o in 0..<width { line[o] = inner[o].map { src[base + $0] } ?? fill }
                    }
                }
            }
            return Tensor(dataType: x.dataType, shape: shape, storage: output.storage)
        }
    }
}

extension Ops.Pad: ShapeInferable {
    /// Each dim grown by its begin and end pads (read as the kernel reads them); a symbolic dim keeps
    /// its name where both are 0. Unknown pads or axes leave every dim unknown, the rank still known.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let x = query.shape(0), let type = query.elementType(0) else { return [nil] }
        let legacy = query.context.opsetVersion < 11
        guard legacy || (query.tensor(1) != nil && !query.isUnknown(3)) else { return [ValueFacts(type, x.map { _ in .unknown })] }
        guard !x.isEmpty else { return [ValueFacts(type, x)] }
        let pads = legacy ? try query.node.ints("pads") ?? [] : try padsInput(query.tensors, rank: x.count)
        guard pads.count == 2 * x.count else { throw QConvertError("pads must have \(2 * x.count) values for rank \(x.count), got \(pads.count)") }
        let shape = try x.indices.map { axis in
            try x[axis].mapped(unitStep: true) { try padded($0, axis: axis, pads: pads, of: "\(x)") }
        }
        if let sizes = Dim.numbers(shape) { _ = try ShapeCount.of(sizes) }
        return [ValueFacts(type, shape)]
    }
}
