import QConvertIR

/// A Reduce* op's formula: y = finish(combine over the reduced elements of map(x), count), e.g.
/// ReduceL2 is map x², combine +, finish sqrt. Values are float64 whatever the tensor type.
protocol ReductionFormula {
    /// The value combining starts from (0 for sums, 1 for products, -inf for max...).
    static var identity: Double { get }
    static func map(_ x: Double) -> Double
    static func combine(_ a: Double, _ b: Double) -> Double
    /// The result from the combined value and the number of elements reduced into it.
    static func finish(_ value: Double, count: Int) -> Double
}

extension ReductionFormula {
    static func map(_ x: Double) -> Double { x }
    static func finish(_ value: Double, count: Int) -> Double { value }
}

/// Element types reductions read, widened to float64.
protocol ReducibleElement: TensorElement {
    var widened: Double { get }
}

extension Float: ReducibleElement { var widened: Double { Double(self) } }
extension Double: ReducibleElement { var widened: Double { self } }
extension Int32: ReducibleElement { var widened: Double { Double(self) } }
extension Int64: ReducibleElement { var widened: Double { Double(self) } }

/// Runs every Reduce* op: the `axes` attribute or input, `keepdims`, `noop_with_empty_axes`, and the
/// loops, specialised for each op's `ReductionFormula`.
///
/// Why one helper: the Reduce* ops differ only in their formula. Values are accumulated in float64, so
/// float32 results are at least as accurate as ONNX Runtime's, in an order fixed by the shape (never by
/// the thread count). Several reduced axes are reduced one run of adjacent axes at a time (map applies
/// in the first pass only), each pass a cache-friendly (outer, extent, inner) walk.
enum Reduction {
    /// Reduced elements per parallel chunk.
    static let grain = 1 << 16

    /// The kernel of a Reduce* node: axes from the `axes` attribute before opset `axesInputSince`, from
    /// input 1 after; `keepdims` (default 1) keeps reduced dims as 1; no axes means all axes unless
    /// `noop_with_empty_axes` is set, which makes the op the identity.
    static func kernel<R: ReductionFormula>(_ formula: R.Type, _ node: Node, _ context: CompileContext, axesInputSince: Int) throws -> Kernel {
        let axes = try IntListArgument(node, context, name: "axes", input: 1, inputSince: axesInputSince)
        let keepDims = try node.int("keepdims", default: 1) != 0
        let noop = try node.int("noop_with_empty_axes", default: 0) != 0
        return Kernel { inputs, context in
            let x = try inputs.required(0, "data")
            let listed = try axes.value(inputs, name: "axes") ?? []
            if listed.isEmpty && noop { return [x] }
            let reduced = listed.isEmpty ? Array(0..<x.rank) : try Axes.normalize(listed, rank: x.rank)
            return [try apply(R.self, x, axes: reduced, keepDims: keepDims, threads: context.threads)]
        }
    }

    /// `x` reduced over `axes` (normalised and sorted).
    static func apply<R: ReductionFormula>(_ formula: R.Type, _ x: Tensor, axes: [Int], keepDims: Bool, threads: Int) throws -> Tensor {
        let shape = keepDims
            ? x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
        let count = axes.reduce(1) { $0 * x.shape[$1] }
        var values: [Double]
        switch x.dataType {
        case .float: values = x.withElements(of: Float.self) { reduce(R.self, $0, x.shape, axes, threads) }
        case .double: values = x.withElements(of: Double.self) { reduce(R.self, $0, x.shape, axes, threads) }
        case .int32: values = x.withElements(of: Int32.self) { reduce(R.self, $0, x.shape, axes, threads) }
        case .int64: values = x.withElements(of: Int64.self) { reduce(R.self, $0, x.shape, axes, threads) }
        default: throw QConvertError("\(x.dataType) input is not supported (float32, float64, int32, int64 are)")
        }
        for i in values.indices { values[i] = R.finish(values[i], count: count) }
        return try Conversion.convert(Tensor(shape: shape, scalars: values), to: x.dataType)
    }

    /// The combined (not finished) values over `axes` of `source`, a tensor of `shape`.
    private static func reduce<R: ReductionFormula, S: ReducibleElement>(
        _ formula: R.Type, _ source: UnsafeBufferPointer<S>, _ shape: [Int], _ axes: [Int], _ threads: Int
    ) -> [Double] {
        // Runs of adjacent reduced axes, innermost first, each reduced in one pass.
        var runs: [ClosedRange<Int>] = []
        for axis in axes.reversed() {
            if let last = runs.last, last.lowerBound == axis + 1 {
                runs[runs.count - 1] = axis...last.upperBound
            } else {
                runs.append(axis...axis)
            }
        }
        guard let first = runs.first, let base = source.baseAddress else {
            return source.map { R.combine(R.identity, R.map($0.widened)) }
        }
        var current = shape
        func layout(_ run: ClosedRange<Int>) -> AxisLayout {
            AxisLayout(outer: current[..<run.lowerBound].reduce(1, *), extent: current[run].reduce(1, *),
                       inner: current[(run.upperBound + 1)...].reduce(1, *))
        }
        var values = pass(R.self, layout(first), base, mapped: true, threads)
        for axis in first { current[axis] = 1 }
        for run in runs.dropFirst() {
            values = values.withUnsafeBufferPointer { pass(R.self, layout(run), $0.baseAddress!, mapped: false, threads) }
            for axis in run { current[axis] = 1 }
        }
        return values
    }

    /// One pass: out[o, i] = combine over k of map?(source[(o * extent + k) * inner + i]), from the
    /// identity. A contiguous run (inner = 1) is combined in 8 interleaved partial results, then those
    /// in order, so the loop vectorises; the order depends only on the shape.
    private static func pass<R: ReductionFormula, S: ReducibleElement>(
        _ formula: R.Type, _ layout: AxisLayout, _ source: UnsafePointer<S>, mapped: Bool, _ threads: Int
    ) -> [Double] {
        let (extent, inner) = (layout.extent, layout.inner)
        let lanes = layout.outer * inner
        var out = [Double](repeating: R.identity, count: lanes)
        guard lanes > 0 else { return out }
        out.withUnsafeMutableBufferPointer { out in
            let target = out.baseAddress!
            @inline(__always) func read(_ index: Int) -> Double {
                mapped ? R.map(source[index].widened) : source[index].widened
            }
            Parallel.forEach(count: lanes, grain: max(1, grain / max(1, extent)), threads: threads) { range in
                if inner == 1 {
                    for o in range {
                        var partial = (R.identity, R.identity, R.identity, R.identity, R.identity, R.identity, R.identity, R.identity)
                        let row = o * extent, blocked = extent & ~7
                        var k = 0
                        while k < blocked {
                            partial.0 = R.combine(partial.0, read(row + k))
                            partial.1 = R.combine(partial.1, read(row + k + 1))
                            partial.2 = R.combine(partial.2, read(row + k + 2))
                            partial.3 = R.combine(partial.3, read(row + k + 3))
                            partial.4 = R.combine(partial.4, read(row + k + 4))
                            partial.5 = R.combine(partial.5, read(row + k + 5))
                            partial.6 = R.combine(partial.6, read(row + k + 6))
                            partial.7 = R.combine(partial.7, read(row + k + 7))
                            k += 8
                        }
                        var value = R.combine(R.combine(R.combine(partial.0, partial.1), R.combine(partial.2, partial.3)),
                                              R.combine(R.combine(partial.4, partial.5), R.combine(partial.6, partial.7)))
                        for k in blocked..<extent { value = R.combine(value, read(row + k)) }
                        target[o] = value
                    }
                    return
                }
                // Lanes of one outer index at a time, so each k reads a contiguous stretch of a row.
                var lane = range.lowerBound
                while lane < range.upperBound {
                    let o = lane / inner, first = lane % inner
                    let last = min(inner, first + range.upperBound - lane)
                    let lanes = target + o * inner
                    for k in 0..<extent {
                        let row = (o * extent + k) * inner
                        for i in first..<last { lanes[i] = R.combine(lanes[i], read(row + i)) }
                    }
                    lane += last - first
                }
            }
        }
        return out
    }
}
