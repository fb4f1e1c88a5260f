import Foundation

/// A group of state nodes whose decay time constants are close: the candidates for one
/// shared decay constant of a state-space model block.
public struct TimeConstantGroup: Hashable, Sendable, Codable {
    /// Geometric mean of the group's time constants, seconds.
    public var centerSeconds: Double
    public var minSeconds: Double
    public var maxSeconds: Double
    /// Relative standard deviation within the group.
    public var relativeSpread: Double
    /// Indices of the member nodes in the list that was grouped.
    public var members: [Int]
}

extension TimeConstantGroup {
    /// Splits time constants into at most `count` groups by optimal one-dimensional k-means on
    /// `log(tau)` (dynamic programming over the sorted values, so the result is the global
    /// optimum, not a local one), ordered from fastest to slowest.
    ///
    /// Time constants are grouped on a log scale because decay constants of an SSM are spread
    /// over decades and their relative, not absolute, differences matter.
    public static func cluster(_ taus: [Double], count: Int) -> [TimeConstantGroup] {
        let order = taus.indices.filter { taus[$0] > 0 && taus[$0].isFinite }.sorted { taus[$0] < taus[$1] }
        let x = order.map { log(taus[$0]) }
        let n = x.count
        guard n > 0 else { return [] }
        let k = max(1, min(count, n))
        var prefix = [0.0], prefixSquares = [0.0]
        for v in x { prefix.append(prefix.last! + v); prefixSquares.append(prefixSquares.last! + v * v) }
        // Within-cluster sum of squares of x[i...j].
        func cost(_ i: Int, _ j: Int) -> Double {
            let m = Double(j - i + 1)
            let s = prefix[j + 1] - prefix[i]
            return max(0, prefixSquares[j + 1] - prefixSquares[i] - s * s / m)
        }
        // best[q][j]: least cost of x[0...j] in q + 1 clusters; start[q][j]: first index of the last one.
        var best = [[Double]](repeating: [Double](repeating: .infinity, count: n), count: k)
        var start = [[Int]](repeating: [Int](repeating: 0, count: n), count: k)
        for j in 0..<n { best[0][j] = cost(0, j) }
        if k > 1 {
            for q in 1..<k {
                for j in q..<n {
                    for i in q...j {
                        let c = best[q - 1][i - 1] + cost(i, j)
                        if c < best[q][j] { best[q][j] = c; start[q][j] = i }
                    }
                }
            }
        }
        var bounds: [(Int, Int)] = []
        var j = n - 1
        for q in stride(from: k - 1, through: 0, by: -1) {
            let i = q == 0 ? 0 : start[q][j]
            bounds.append((i, j))
            j = i - 1
        }
        return bounds.reversed().map { i, j in
            let members = Array(order[i...j])
            let values = members.map { taus[$0] }
            let sample = SampleMoments(values)
            return TimeConstantGroup(centerSeconds: exp(x[i...j].reduce(0, +) / Double(j - i + 1)),
                                     minSeconds: values.min()!, maxSeconds: values.max()!,
                                     relativeSpread: sample.standardDeviation / sample.mean, members: members)
        }
    }
}
