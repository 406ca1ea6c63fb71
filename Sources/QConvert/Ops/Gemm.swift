import QConvertIR

extension Ops {
    /// Gemm: Y = alpha · A' · B' + beta · C, where A' is A or Aᵀ (`transA`), B' is B or Bᵀ (`transB`)
    /// and C (optional) broadcasts to Y's shape (M, N).
    ///
    /// Y is first filled with beta · C, then the product is accumulated into it by `MatrixMultiply`.
    enum Gemm: Operator {
        static let type = "Gemm"

        static func compile(_ node: Node, _ context: CompileContext) throws -> Kernel {
            let alpha = try node.float("alpha", default: 1)
            let beta = try node.float("beta", default: 1)
            let transA = try node.int("transA", default: 0) != 0
            let transB = try node.int("transB", default: 0) != 0
            return Kernel { inputs, context in
                let a = try inputs.floatInput(0, "A")
                let b = try inputs.floatInput(1, "B")
                let c = try inputs.optionalFloatInput(2, "C")
                guard a.rank == 2, b.rank == 2 else { throw QConvertError("inputs A \(a.shape) and B \(b.shape) must be matrices") }
                let (m, k) = transA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
                let (kB, n) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
                guard k == kB else {
                    throw QConvertError("A \(a.shape)\(transA ? "ᵀ" : "") and B \(b.shape)\(transB ? "ᵀ" : "") do not multiply: \(k) vs \(kB)")
                }
                let addend = try c.map { try broadcastable($0, m: m, n: n) }
                return [a.withElements(of: Float.self) { aValues in
                    b.withElements(of: Float.self) { bValues in
                        Tensor(shape: [m, n], of: Float.self) { y in
                            if let (values, rowStep, columnStep) = addend, beta != 0 {
                                for i in 0..<m {
                                    for j in 0..<n { y[i * n + j] = beta * values[i * rowStep + j * columnStep] }
                                }
                            }
                            guard k > 0, let yp = y.baseAddress, let ap = aValues.baseAddress, let bp = bValues.baseAddress else { return }
                            let product = MatrixMultiply.Operands(
                                transA: transA, transB: transB, m: m, n: n, k: k, a: ap, lda: a.shape[1],
                                b: bp, ldb: b.shape[1], c: yp, ldc: n)
                            MatrixMultiply.parallel([product], alpha: alpha, beta: addend == nil || beta == 0 ? 0 : 1, threads: context.threads)
                        }
                    }
                }]
            }
        }

        /// C's values with the element steps that broadcast it to (m, n): a step is 0 along a size-1 axis.
        static func broadcastable(_ c: Tensor, m: Int, n: Int) throws -> (values: [Float], rowStep: Int, columnStep: Int) {
            let shape = Array(repeating: 1, count: max(0, 2 - c.rank)) + c.shape
            guard shape.count == 2, shape[0] == 1 || shape[0] == m, shape[1] == 1 || shape[1] == n else {
                throw QConvertError("C of shape \(c.shape) does not broadcast to [\(m), \(n)]")
            }
            return (c.scalars(of: Float.self), shape[0] == 1 ? 0 : shape[1], shape[1] == 1 ? 0 : 1)
        }
    }
}

extension Ops.Gemm: Quantizable {
    /// Quantized as compute when B is constant: per output column (B's axis 1, or 0 when transB), C as
    /// int32 bias only when alpha = beta = 1 and C is a vector over the columns (else C stays float).
    static func quantizationRule(for node: Node, isConstant: (String) -> Bool) throws -> QuantizationRule? {
        guard node.inputs.count >= 2 else { return nil }
        guard isConstant(node.inputs[1]) else { return QuantizationRule(.arithmetic, floatReason: "B is not a constant weight") }
        guard try node.int("transA", default: 0) == 0 else {
            return QuantizationRule(.arithmetic, floatReason: "transA = 1: qconvert quantizes Gemm with an untransposed A only")
        }
        let axis = try node.int("transB", default: 0) != 0 ? 0 : 1
        let unitScales = try node.float("alpha", default: 1) == 1 && node.float("beta", default: 1) == 1
        let bias = node.inputs.count > 2 && !node.inputs[2].isEmpty && unitScales && isConstant(node.inputs[2]) ? 2 : nil
        return QuantizationRule(.compute(weight: 1, axis: axis, bias: bias))
    }
}

extension Ops.Gemm: ShapeInferable {
    /// Y: [M, N], M from A (or Aᵀ) and N from B (or Bᵀ).
    static func inferOutputs(_ query: ShapeQuery) throws -> [ValueFacts?] {
        guard let a = query.shape(0), let b = query.shape(1) else { return [nil] }
        guard a.count == 2, b.count == 2 else { throw QConvertError("A \(Dim.text(a)) and B \(Dim.text(b)) must both be 2-D") }
        let transA = try query.node.int("transA", default: 0) != 0, transB = Ops.Gemm.transposesB(query.node)
        let m = transA ? a[1] : a[0], n = transB ? b[0] : b[1]
        if case .value(let ka) = transA ? a[0] : a[1], case .value(let kb) = transB ? b[1] : b[0], ka != kb {
            throw QConvertError("A \(Dim.text(a)) and B \(Dim.text(b)) do not match: K is \(ka) in A and \(kb) in B")
        }
        return [ValueFacts(query.elementType(0) ?? .float, [m, n])]
    }
}

extension Ops.Gemm {
    /// Whether B is stored transposed ([N, K]): any nonzero transB, as the kernel reads it. Every
    /// pass that indexes a Gemm weight by row or column asks here, so they cannot disagree.
    static func transposesB(_ node: Node) -> Bool {
        ((try? node.int("transB", default: 0)) ?? 0) != 0
    }
}
