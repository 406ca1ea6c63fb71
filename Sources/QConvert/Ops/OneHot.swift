import QConvertIR

extension Ops {
    /// OneHot: out[a..., j, b...] = values[1] (on) where j == position(indices[a..., b...]), else
    /// values[0] (off); the new axis of length `depth` sits at `axis` (default -1, last) of the output.
    /// position(v) is v truncated toward zero to an integer, plus depth when negative; one outside
    /// 0..<depth (or NaN, infinite) lights nothing, giving an all-off row. depth is truncated so too and
    /// must be positive. Matches ONNX Runtime: negative indices count from the end under opset 9 and 10
    /// too (the opset-9 text lights only 0..<depth; ORT and the ONNX reference wrap); float indices and
    /// depth are cast to int64 as the opset-11 text says, so 1.5 lights 1 and -1.5 lights depth - 1 (the
    /// ONNX reference evaluator does not truncate: it lights nothing for 1.5 and reads depth 3.7 as 4);
    /// a 0-d indices is refused, as ONNX shape inference refuses it. Indices and depth of any numeric
    /// type, values of any type.
    enum OneHot: Operator {
        static let type = "OneHot"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let axis = try node.int("axis", default: -1)
            return Kernel { inputs, _ in
                let indices = try inputs.required(0, "indices"), depthTensor = try inputs.required(1, "depth")
                let values = try inputs.required(2, "values")
                guard indices.rank >= 1 else { throw QConvertError("indices must have rank 1 or more, got a 0-d tensor") }
                guard values.rank == 1, values.count == 2 else { throw QConvertError("values must be [off, on], got shape \(values.shape)") }
                let depth = try depth(depthTensor)
                let normalized = try Axes.normalize(axis, rank: indices.rank + 1)
                var shape = indices.shape
                shape.insert(depth, at: normalized)
                _ = try ShapeCount.of(shape)
                let positions = try truncated(indices, "indices").map { value -> Int? in
                    guard let value else { return nil }
                    let position = value < 0 ? value + Int64(depth) : value
                    return position >= 0 && position < Int64(depth) ? Int(position) : nil
                }
                let layout = AxisLayout(outer: indices.shape[..<normalized].reduce(1, *), extent: depth,
                                        inner: indices.shape[normalized...].reduce(1, *))
                return [try expand(positions, layout: layout, values: values, shape: shape)]
            }
        }

        /// depth, a one-element tensor of any numeric type truncated to an integer, which must be positive
        /// (ORT reads NaN and floats beyond int64 as int64.min on x86, and so refuses them too).
        static func depth(_ tensor: Tensor) throws -> Int {
            guard tensor.rank <= 1, tensor.count == 1 else { throw QConvertError("depth must have one element, got shape \(tensor.shape)") }
            guard let depth = try truncated(tensor, "depth")[0], depth > 0 else {
                let given = tensor.integers()?.first.map { "\($0)" } ?? tensor.floats()?.first.map { "\($0)" } ?? "?"
                throw QConvertError("depth must be a positive int64 once truncated, got \(given)")
            }
            return Int(depth)
        }

        /// The elements as C's `(int64_t)v` reads them, as ONNX Runtime does: integers as they are, floats
        /// truncated toward zero; nil where that has no value (NaN, infinities, floats beyond int64, and
        /// uint64 beyond int64), which no position matches. float16 and bfloat16 are widened first.
        static func truncated(_ tensor: Tensor, _ name: String) throws -> [Int64?] {
            func truncate<F: BinaryFloatingPoint>(_ v: F) -> Int64? {
                // F is Float or Double, where 2^63 is exact; -2^63 itself fits Int64, so the range is half-open.
                v.isFinite && v >= -0x1p63 && v < 0x1p63 ? Int64(v.rounded(.towardZero)) : nil
            }
            switch tensor.dataType {
            case .float: return tensor.scalars(of: Float.self).map(truncate)
            case .double: return tensor.scalars(of: Double.self).map(truncate)
            case .float16, .bfloat16: return tensor.floats()!.map(truncate)
            case .uint64: return tensor.scalars(of: UInt64.self).map { Int64(exactly: $0) }
            default:
                guard tensor.dataType != .bool, let integers = tensor.integers() else {
                    throw QConvertError("\(name) must be numeric, got \(tensor.dataType)")
                }
                return integers
            }
        }

        /// The output of `shape`: every element off, then on at (o, positions[o * inner + i], i) for
        /// each index (o, i) of the layout whose position is not nil. Values are moved as bits (any
        /// fixed-width type) or as strings.
        static func expand(_ positions: [Int?], layout: AxisLayout, values: Tensor, shape: [Int]) throws -> Tensor {
            func at(_ o: Int, _ i: Int) -> Int? {
                positions[o * layout.inner + i].map { (o * layout.extent + $0) * layout.inner + i }
            }
            func fill<T: TensorElement>(_ type: T.Type) -> Tensor {
                let pair = values.scalars(of: T.self)
                return Tensor(uninitializedShape: shape, dataType: values.dataType, of: T.self) { out in
                    out.initialize(repeating: pair[0])
                    for o in 0..<layout.outer {
                        for i in 0..<layout.inner {
                            if let at = at(o, i) { out[at] = pair[1] }
                        }
                    }
                }
            }
            switch values.dataType.bitWidth {
            case 8: return fill(UInt8.self)
            case 16: return fill(UInt16.self)
            case 32: return fill(UInt32.self)
            case 64: return fill(UInt64.self)
            case 0 where values.dataType == .string && values.storage.strings.count == 2:
                let pair = values.storage.strings
                var strings = [[UInt8]](repeating: pair[0], count: shape.reduce(1, *))
                for o in 0..<layout.outer {
                    for i in 0..<layout.inner {
                        if let at = at(o, i) { strings[at] = pair[1] }
                    }
                }
                return Tensor(shape: shape, strings: strings)
            default: throw QConvertError("\(values.dataType) values are not supported")
            }
        }
    }
}

extension Ops.OneHot: ShapeInferable {
    /// indices' shape with depth inserted at `axis` (a number when depth is known), of values' type.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let indices = query.shape(0), let type = query.elementType(2) else { return [nil] }
        guard !indices.isEmpty else { throw QConvertError("indices must have rank 1 or more, got a 0-d tensor") }
        let axis = try Axes.normalize(try query.node.int("axis", default: -1), rank: indices.count + 1)
        var shape = indices
        shape.insert(try query.tensor(1).map { .value(try Ops.OneHot.depth($0)) } ?? .unknown, at: axis)
        return [ValueFacts(type, shape)]
    }
}
