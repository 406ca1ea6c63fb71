import QConvertIR

/// ArgMax and ArgMin: the int64 index along `axis` (default 0) of the best element by `better`, the
/// first such index on ties or the last with `select_last_index`; `keepdims` (default 1) keeps the
/// axis as size 1.
///
/// Why shared: the two ops differ only in the comparison.
enum ArgReduction {
    static func kernel(_ node: Node, _ context: CompileContext, better: @escaping @Sendable (Double, Double) -> Bool) throws -> Kernel {
        let axis = try node.int("axis", default: 0)
        let keepDims = try node.int("keepdims", default: 1) != 0
        let last = try node.int("select_last_index", default: 0) != 0
        return Kernel { inputs, _ in
            let x = try inputs.required(0, "data")
            let normalized = try Axes.normalize(axis, rank: x.rank)
            let layout = AxisLayout(x.shape, axis: normalized)
            guard layout.extent > 0 else { throw QConvertError("cannot take the index of an empty axis \(normalized)") }
            var shape = x.shape
            if keepDims { shape[normalized] = 1 } else { shape.remove(at: normalized) }
            func pick(_ read: (Int) -> Double) -> Tensor {
                Tensor(shape: shape, of: Int64.self) { out in
                    for o in 0..<layout.outer {
                        for i in 0..<layout.inner {
                            let base = o * layout.extent * layout.inner + i
                            var best = 0, bestValue = read(base)
                            for k in 1..<layout.extent {
                                let value = read(base + k * layout.inner)
                                if better(value, bestValue) || (last && value == bestValue) {
                                    best = k
                                    bestValue = value
                                }
                            }
                            out[o * layout.inner + i] = Int64(best)
                        }
                    }
                }
            }
            switch x.dataType {
            case .float: return [x.withElements(of: Float.self) { p in pick { Double(p[$0]) } }]
            case .double: return [x.withElements(of: Double.self) { p in pick { p[$0] } }]
            case .int32: return [x.withElements(of: Int32.self) { p in pick { Double(p[$0]) } }]
            case .int64: return [x.withElements(of: Int64.self) { p in pick { Double(p[$0]) } }]
            case .uint8: return [x.withElements(of: UInt8.self) { p in pick { Double(p[$0]) } }]
            case .int8: return [x.withElements(of: Int8.self) { p in pick { Double(p[$0]) } }]
            default: throw QConvertError("\(x.dataType) input is not supported")
            }
        }
    }

    /// The int64 indices' shape: the input's with the axis kept as 1 (`keepdims`) or removed, as in `kernel`.
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard var shape = query.shape(0) else { return [nil] }
        let axis = try Axes.normalize(try query.node.int("axis", default: 0), rank: shape.count)
        if try query.node.int("keepdims", default: 1) != 0 { shape[axis] = .value(1) } else { shape.remove(at: axis) }
        return [ValueFacts(.int64, shape)]
    }
}
