import QConvertIR

extension Ops {
    /// MatMul with numpy semantics: Y[..., i, j] = Σ_k A[..., i, k] · B[..., k, j], where a 1-D A is a
    /// row vector and a 1-D B a column vector (their unit axis is dropped from Y), and the leading
    /// (batch) axes broadcast (`MatMulShape`).
    ///
    /// When B is a single matrix, A's batch is folded into its rows so the whole op is one GEMM.
    enum MatMul: Operator {
        static let type = "MatMul"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            Kernel { inputs, context in
                let a = try inputs.floatInput(0, "A")
                let b = try inputs.floatInput(1, "B")
                let shape = try MatMulShape(a: a.shape, b: b.shape)
                let (m, k, n) = (shape.m, shape.k, shape.n)
                return [a.withElements(of: Float.self) { aValues in
                    b.withElements(of: Float.self) { bValues in
                        Tensor(uninitializedShape: shape.output, of: Float.self) { y in
                            guard let yp = y.baseAddress, let ap = aValues.baseAddress, let bp = bValues.baseAddress else { return y.initialize(repeating: 0) }
                            var products: [MatrixMultiply.Operands] = []
                            if shape.foldsBatchIntoRows {
                                let rows = shape.aBatch.reduce(1, *) * m
                                products.append(.init(m: rows, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, c: yp, ldc: n))
                            } else {
                                let aIndex = shape.aMatrices, bIndex = shape.bMatrices
                                for index in 0..<shape.products {
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
    }
}

extension Ops.MatMul: Quantizable {
    /// Quantized as compute when input 1 is a constant [..., K, N] (per output column N, its last
    /// axis); as arithmetic on two activations otherwise (attention's Q x K^T).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard node.inputs.count == 2 else { return nil }
        if isConstant(node.inputs[1]) { return QuantizationRule(.compute(weight: 1, axis: -1, bias: nil)) }
        return QuantizationRule(.arithmetic, activationInputs: [0, 1],
                                floatReason: isConstant(node.inputs[0]) ? "constant A (left): qconvert quantizes MatMul by a constant B only" : nil)
    }
}

extension Ops.MatMul: ShapeInferable {
    /// Y: the broadcast batch dims, then [M, N], dropping the unit axis of a 1-D A or B (as `MatMulShape`).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let a = query.shape(0), let b = query.shape(1), !a.isEmpty, !b.isEmpty else { return [nil] }
        let aMatrix = a.count == 1 ? [.value(1)] + a : a, bMatrix = b.count == 1 ? b + [.value(1)] : b
        if case .value(let k) = aMatrix[aMatrix.count - 1], case .value(let kb) = bMatrix[bMatrix.count - 2], k != kb {
            throw QConvertError("A's last dimension (\(k)) differs from B's second-to-last (\(kb)): shapes \(Dim.text(a)) and \(Dim.text(b)) do not multiply")
        }
        var shape = try Dim.broadcast([Array(aMatrix.dropLast(2)), Array(bMatrix.dropLast(2))])
        if a.count > 1 { shape.append(aMatrix[aMatrix.count - 2]) }
        if b.count > 1 { shape.append(bMatrix[bMatrix.count - 1]) }
        return [ValueFacts(query.elementType(0) ?? .float, shape)]
    }
}
