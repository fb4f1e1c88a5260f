/// The Cholesky factor `L` of a symmetric positive-definite matrix `A = L L^T`, row-major `n x n`.
///
/// The normal equations of a least-squares step and the covariance of a fit are the only
/// linear algebra fitting needs, and both are small dense symmetric systems.
public struct CholeskyFactor: Sendable {
    public let n: Int
    private(set) var lower: [Double]

    /// Factors `matrix` (row-major, only the lower triangle is read). Returns nil when the
    /// matrix is not numerically positive definite.
    public init?(_ matrix: [Double], size n: Int) {
        self.n = n
        var l = [Double](repeating: 0, count: n * n)
        let ok = l.withUnsafeMutableBufferPointer { l -> Bool in
            matrix.withUnsafeBufferPointer { a -> Bool in
                for j in 0..<n {
                    var d = a[j * n + j]
                    for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
                    guard d > 0, d.isFinite else { return false }
                    let ljj = d.squareRoot()
                    l[j * n + j] = ljj
                    for i in (j + 1)..<max(j + 1, n) {
                        var s = a[i * n + j]
                        for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                        l[i * n + j] = s / ljj
                    }
                }
                return true
            }
        }
        guard ok else { return nil }
        lower = l
    }

    /// Solves `A x = b`.
    public func solve(_ b: [Double]) -> [Double] {
        var y = b
        for i in 0..<n {
            var s = y[i]
            for k in 0..<i { s -= lower[i * n + k] * y[k] }
            y[i] = s / lower[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<max(i + 1, n) { s -= lower[k * n + i] * y[k] }
            y[i] = s / lower[i * n + i]
        }
        return y
    }

    /// `A^-1`, row-major.
    public func inverse() -> [Double] {
        var inv = [Double](repeating: 0, count: n * n)
        var e = [Double](repeating: 0, count: n)
        for j in 0..<n {
            e[j] = 1
            let column = solve(e)
            e[j] = 0
            for i in 0..<n { inv[i * n + j] = column[i] }
        }
        return inv
    }
}
