import QConvertIR

extension Ops {
    /// Einsum: the product of the operands summed over every subscript the output does not keep
    /// (`EinsumEquation`; float32). Subscripts only one operand has and nothing later needs are summed
    /// out first, then operands are contracted left to right, each pair as one batched matrix product
    /// on the shared GEMM (shared subscripts still needed are the batch, shared ones not needed the
    /// inner dimension), and the result is put in the output's order: attention-sized einsums cost a
    /// MatMul, not a loop over every index combination.
    /// Ellipsis axes broadcast (size 1 against n); a subscript repeated within one operand (a
    /// diagonal) is not supported.
    enum Einsum: Operator {
        static let type = "Einsum"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let equation = try node.string("equation")
            return Kernel { inputs, context in
                let tensors = try (0..<inputs.count).map { try inputs.floatInput($0, "Inputs") }
                guard !tensors.isEmpty else { throw QConvertError("Einsum needs at least one input") }
                let parsed = try EinsumEquation(equation, ranks: tensors.map(\.rank))
                var operands = zip(tensors, parsed.operands).map { Labeled(tensor: $0, labels: $1) }
                for operand in operands where Set(operand.labels).count != operand.labels.count {
                    throw QConvertError("equation '\(equation)' repeats a subscript within one operand (a diagonal), which is not supported")
                }
                let sizes = try sizes(operands, equation)
                let wanted = Set(parsed.output)
                var current = try operands.removeFirst().summed(keeping: Set(operands.flatMap(\.labels)).union(wanted), threads: context.threads)
                while !operands.isEmpty {
                    let next = operands.removeFirst()
                    let later = Set(operands.flatMap(\.labels)).union(wanted)
                    current = try current.summed(keeping: later.union(next.labels), threads: context.threads)
                    current = try contract(current, try next.summed(keeping: later.union(current.labels), threads: context.threads),
                                       keeping: later, sizes: sizes, threads: context.threads)
                }
                // Every output subscript is in some operand and kept through each contraction.
                current = try current.summed(keeping: wanted, threads: context.threads)
                return [try current.view(parsed.output, sizes: sizes, threads: context.threads)]
            }
        }

        /// Each subscript's size: equal wherever it occurs, except that 1 broadcasts.
        static func sizes(_ operands: [Labeled], _ equation: String) throws -> [Character: Int] {
            var sizes: [Character: Int] = [:]
            for operand in operands {
                for (label, size) in zip(operand.labels, operand.tensor.shape) {
                    let known = sizes[label] ?? 1
                    guard known == size || known == 1 || size == 1 else {
                        throw QConvertError("equation '\(equation)': subscript '\(label.isLetter ? String(label) : "...")' has sizes \(known) and \(size)")
                    }
                    sizes[label] = known == 1 ? size : known
                }
            }
            return sizes
        }

        /// A · B as one batched product: C[batch, aFree, bFree] = Σ_contracted A[batch, aFree, contracted] B[batch, contracted, bFree].
        static func contract(_ a: Labeled, _ b: Labeled, keeping: Set<Character>, sizes: [Character: Int], threads: Int) throws -> Labeled {
            let shared = a.labels.filter { b.labels.contains($0) }
            let batch = shared.filter { keeping.contains($0) }, inner = shared.filter { !keeping.contains($0) }
            let aFree = a.labels.filter { !b.labels.contains($0) }, bFree = b.labels.filter { !a.labels.contains($0) }
            let count = { (labels: [Character]) in labels.reduce(1) { $0 * sizes[$1]! } }
            let (products, m, k, n) = (count(batch), count(aFree), count(inner), count(bFree))
            let left = try a.view(batch + aFree + inner, sizes: sizes, threads: threads)
            let right = try b.view(batch + inner + bFree, sizes: sizes, threads: threads)
            let shape = (batch + aFree + bFree).map { sizes[$0]! }
            let result = left.withElements(of: Float.self) { l in
                right.withElements(of: Float.self) { r in
                    Tensor(shape: shape, of: Float.self) { c in
                        guard k > 0, let lp = l.baseAddress, let rp = r.baseAddress, let cp = c.baseAddress else { return }
                        MatrixMultiply.parallel((0..<products).map { p in
                            .init(m: m, n: n, k: k, a: lp + p * m * k, lda: k, b: rp + p * k * n, ldb: n, c: cp + p * m * n, ldc: n)
                        }, threads: threads)
                    }
                }
            }
            return Labeled(tensor: result, labels: batch + aFree + bFree)
        }

        /// A tensor with a subscript per axis.
        struct Labeled {
            var tensor: Tensor
            var labels: [Character]

            /// Summed over the axes whose subscripts are not in `keeping`.
            func summed(keeping: Set<Character>, threads: Int) throws -> Labeled {
                let axes = labels.indices.filter { !keeping.contains(labels[$0]) }
                guard !axes.isEmpty else { return self }
                return Labeled(tensor: try Reduction.apply(Ops.ReduceSum.self, tensor, axes: axes, keepDims: false, threads: threads),
                               labels: labels.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
            }

            /// Its axes in `order` (each one of its subscripts), size-1 axes broadcast to `sizes`.
            func view(_ order: [Character], sizes: [Character: Int], threads: Int) throws -> Tensor {
                let strides = StridedCopy.contiguousStrides(tensor.shape)
                let axes = order.map { labels.firstIndex(of: $0)! }
                let shape = order.map { sizes[$0]! }
                let viewStrides = zip(axes, shape).map { axis, size in tensor.shape[axis] == 1 && size != 1 ? 0 : strides[axis] }
                return try StridedCopy.copy(tensor, shape: shape, strides: viewStrides, offset: 0, threads: threads)
            }

        }
    }
}
