/// A dense row-major matrix of doubles: a weight matrix `W[out, in]` of a model.
public struct Matrix: Hashable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Row-major, `rows * columns` values.
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "a \(rows)x\(columns) matrix needs \(rows * columns) values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The diagonal matrix with `diagonal` on its diagonal.
    public init(diagonal: [Double]) {
        let n = diagonal.count
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = diagonal[i] }
        self.init(rows: n, columns: n, values: v)
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Largest magnitude of any entry (0 for an empty matrix).
    public var maxMagnitude: Double { values.reduce(0) { max($0, abs($1)) } }

    /// `W @ x`, summed in index order like NumPy's small matrix products.
    public func times(_ x: [Double]) -> [Double] {
        precondition(x.count == columns, "a \(rows)x\(columns) matrix multiplies vectors of \(columns), not \(x.count)")
        var out = [Double](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { x in
                for r in 0..<rows {
                    var s = 0.0
                    let base = r * columns
                    for c in 0..<columns { s += w[base + c] * x[c] }
                    out[r] = s
                }
            }
        }
        return out
    }

    /// The matrix restricted to input columns `range` (a row slab of a tile holds such a part).
    public func columns(_ range: Range<Int>) -> Matrix {
        var v: [Double] = []
        v.reserveCapacity(rows * range.count)
        for r in 0..<rows { v += values[(r * columns + range.lowerBound)..<(r * columns + range.upperBound)] }
        return Matrix(rows: rows, columns: range.count, values: v)
    }
}
