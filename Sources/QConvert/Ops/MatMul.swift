import QConvertIR

extension Ops {
    /// MatMul with numpy semantics: Y[..., i, j] = Σ_k A[..., i, k] · B[..., k, j], where a 1-D A is a
    /// row vector and a 1-D B a column vector (their unit axis is dropped from Y), and the leading
    /// (batch) axes broadcast.
    ///
    /// When B is a single matrix, A's batch is folded into its rows so the whole op is one GEMM.
    enum MatMul: Operator {
        static let type = "MatMul"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let a = try inputs.floatInput(0, "A")
                let b = try inputs.floatInput(1, "B")
                guard a.rank >= 1, b.rank >= 1 else { throw QConvertError("inputs A \(a.shape) and B \(b.shape) must not be scalars") }
                let aShape = a.rank == 1 ? [1, a.shape[0]] : a.shape
                let bShape = b.rank == 1 ? [b.shape[0], 1] : b.shape
                let (m, k, n) = (aShape[aShape.count - 2], aShape[aShape.count - 1], bShape[bShape.count - 1])
                guard bShape[bShape.count - 2] == k else { throw QConvertError("A \(a.shape) and B \(b.shape) do not multiply: \(k) vs \(bShape[bShape.count - 2])") }
                let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
                let batch = try broadcast(aBatch, bBatch, a: a.shape, b: b.shape)
                var shape = batch + [m, n]
                if b.rank == 1 { shape.removeLast() }
                if a.rank == 1 { shape.remove(at: shape.count - (b.rank == 1 ? 1 : 2)) }
                return [a.withElements(of: Float.self) { aValues in
                    b.withElements(of: Float.self) { bValues in
                        Tensor(uninitializedShape: shape, of: Float.self) { y in
                            guard let yp = y.baseAddress, let ap = aValues.baseAddress, let bp = bValues.baseAddress else { return y.initialize(repeating: 0) }
                            var products: [MatrixMultiply.Operands] = []
                            if bBatch.reduce(1, *) == 1 {
                                let rows = aBatch.reduce(1, *) * m
                                products.append(.init(m: rows, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, c: yp, ldc: n))
                            } else {
                                let aIndex = batchOffsets(aBatch, in: batch), bIndex = batchOffsets(bBatch, in: batch)
                                for index in 0..<batch.reduce(1, *) {
                                    products.append(.init(m: m, n: n, k: k, a: ap + aIndex[index] * m * k, lda: k,
                                                          b: bp + bIndex[index] * k * n, ldb: n, c: yp + index * m * n, ldc: n))
                                }
                            }
                            MatrixMultiply.parallel(products, threads: context.threads)
                        }
                    }
                }]
            }
        }

        /// The broadcast of two batch shapes (numpy rules: align right, sizes equal or 1).
        static func broadcast(_ x: [Int], _ y: [Int], a: [Int], b: [Int]) throws -> [Int] {
            let rank = max(x.count, y.count)
            let x = Array(repeating: 1, count: rank - x.count) + x, y = Array(repeating: 1, count: rank - y.count) + y
            return try (0..<rank).map { axis in
                guard x[axis] == y[axis] || x[axis] == 1 || y[axis] == 1 else {
                    throw QConvertError("batch dimensions of A \(a) and B \(b) do not broadcast")
                }
                return x[axis] == 1 ? y[axis] : x[axis]
            }
        }

        /// For each batch index of `batch` (row-major), the index of the matrix of an operand with batch
        /// shape `own` that broadcasts to it.
        static func batchOffsets(_ own: [Int], in batch: [Int]) -> [Int] {
            let own = Array(repeating: 1, count: batch.count - own.count) + own
            var offsets = [0]
            for axis in 0..<batch.count {
                let stride = own[(axis + 1)...].reduce(1, *)
                offsets = offsets.flatMap { base in (0..<batch[axis]).map { base + (own[axis] == 1 ? 0 : $0 * stride) } }
            }
            return offsets
        }
    }
}

extension Ops.MatMul: Quantizable {
    /// Quantized as compute when input 1 is a constant [..., K, N] (per output column N, its last
    /// axis); as arithmetic on two activations otherwise (attention's Q x K^T).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard node.inputs.count == 2 else { return nil }
        if isConstant(node.inputs[1]) { return QuantizationRule(.compute(weight: 1, axis: -1, bias: nil)) }
        return QuantizationRule(.arithmetic, activationInputs: [0, 1])
    }
}
