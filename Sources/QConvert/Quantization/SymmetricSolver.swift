/// Dense symmetric positive-definite linear algebra in Double, enough for GPTQ: the upper-triangular
/// U with U^T U = H^-1, computed without forming H^-1.
///
/// With J the order-reversing permutation, J H J = L L^T (Cholesky) gives H^-1 = (J L^-1 J)^T (J L^-1 J),
/// and J L^-1 J is upper triangular: so U = J L^-1 J, one Cholesky and one triangular inverse.
enum SymmetricSolver {
    /// Row-major n x n matrix.
    struct Matrix {
        let n: Int
        var values: [Double]

        init(n: Int, values: [Double]) {
            precondition(values.count == n * n)
            self.n = n
            self.values = values
        }

        subscript(_ i: Int, _ j: Int) -> Double {
            get { values[i * n + j] }
            set { values[i * n + j] = newValue }
        }
    }

    /// sum a[i] b[i] over n contiguous values, with independent partial sums so the loop is not
    /// bound by the latency of one running sum (these dot products are the O(n^3) part).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            s0 += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD4<Double>.self) * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD4<Double>.self)
            s1 += UnsafeRawPointer(a + i + 4).loadUnaligned(as: SIMD4<Double>.self) * UnsafeRawPointer(b + i + 4).loadUnaligned(as: SIMD4<Double>.self)
            i += 8
        }
        var s = (s0 + s1).sum()
        while i < n {
            s += a[i] * b[i]
            i += 1
        }
        return s
    }

    /// Replaces the lower triangle of a symmetric positive-definite matrix by its lower Cholesky
    /// factor L (L L^T = a; the upper triangle is left as it was and never read), or returns false
    /// if a pivot is <= 0. In place: each entry below the diagonal is read once, just before L's
    /// entry takes its place.
    static func choleskyInPlace(_ a: inout Matrix) -> Bool {
        let n = a.n
        return a.values.withUnsafeMutableBufferPointer { ap -> Bool in
            for j in 0..<n {
                let rowJ = ap.baseAddress! + j * n
                let s = rowJ[j] - dot(rowJ, rowJ, j)
                guard s > 0 else { return false }
                let pivot = s.squareRoot()
                rowJ[j] = pivot
                for i in (j + 1)..<max(n, j + 1) {
                    let rowI = ap.baseAddress! + i * n
                    rowI[j] = (rowI[j] - dot(rowI, rowJ, j)) / pivot
                }
            }
            return true
        }
    }

    /// U (upper) with U^T U = h^-1, or nil when h is not positive definite. Two n x n matrices at a
    /// time besides h: the factor, then t = L^-1 turned into U where it lies.
    static func inverseCholeskyUpper(_ h: Matrix) -> Matrix? {
        let n = h.n
        // t = L^-1 for L the Cholesky factor of h reversed (J h J), stored transposed
        // (tt[j][k] = t[k][j]) so the inner sums run over contiguous rows.
        var tt = Matrix(n: n, values: [Double](repeating: 0, count: n * n))
        do {
            var l = Matrix(n: n, values: [Double](repeating: 0, count: n * n))
            for i in 0..<n { for j in 0...i { l[i, j] = h[n - 1 - i, n - 1 - j] } }
            guard choleskyInPlace(&l) else { return nil }
            tt.values.withUnsafeMutableBufferPointer { tp in
                l.values.withUnsafeBufferPointer { lp in
                    for j in 0..<n {
                        let column = tp.baseAddress! + j * n   // column j of t
                        column[j] = 1 / lp[j * n + j]
                        for i in (j + 1)..<max(n, j + 1) {
                            let rowL = lp.baseAddress! + i * n
                            column[i] = -dot(rowL + j, column + j, i - j) / rowL[i]
                        }
                    }
                }
            }
        }
        // U = J t J: U[i][j] = t[n-1-i][n-1-j] = tt[n-1-j][n-1-i], an exchange within tt's upper
        // triangle (entry (i, j) and entry (n-1-j, n-1-i) trade places; its lower triangle is 0).
        for i in 0..<n {
            for j in i..<n where (n - 1 - j, n - 1 - i) > (i, j) {
                let other = tt[n - 1 - j, n - 1 - i]
                tt[n - 1 - j, n - 1 - i] = tt[i, j]
                tt[i, j] = other
            }
        }
        return tt
    }
}
