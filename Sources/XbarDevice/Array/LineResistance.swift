/// The resistance of a tile's row and column lines, and what it does to the currents.
///
/// Geometry: each row is driven from its column-0 end, each column is sensed (held at 0 V by
/// its amplifier) at its last-row end. A line has `lineOhms` outside the array, then
/// `wireOhmsPerCell` between neighbouring cells. With linear cells the network is linear, so
/// the column currents are `I_j = sum_i Geff_ij * V_i` for an effective conductance matrix
/// that depends on the conductances alone: computed once per programming, an MVM then costs
/// what an ideal one does.
public struct LineResistance: Hashable, Sendable {
    public var wireOhmsPerCell: Double
    public var lineOhms: Double

    public init(wireOhmsPerCell: Double, lineOhms: Double) {
        precondition(wireOhmsPerCell >= 0 && lineOhms >= 0, "line resistances cannot be negative")
        self.wireOhmsPerCell = wireOhmsPerCell
        self.lineOhms = lineOhms
    }

    /// Resistance in series with cell (`row`, `column`) when it alone conducts (a single-cell
    /// read on a 1T1R tile), ohms: both lines outside the array and the wire from the row's
    /// driver and to the column's amplifier.
    @inlinable
    public func seriesOhms(row: Int, column: Int, rows: Int) -> Double {
        2 * lineOhms + wireOhmsPerCell * Double(column + rows - 1 - row)
    }

    /// Effective conductances (siemens, row-major) of a tile whose cells all conduct at once.
    ///
    /// First order in the line resistance, resummed: every cell's voltage loses the drop along
    /// its row caused by the row's ideal currents up to it (`A_ij`) and the rise along its
    /// column caused by the column's ideal currents (`W_ij`), both per volt of the cell's own
    /// row; `Geff = G / (1 + A + W)` agrees with `G (1 - A - W)` to first order and is exact for
    /// one conducting cell. Costs O(rows x columns) with prefix sums.
    ///
    /// Against the exact nodal solution (``exactColumnCurrents(conductances:rows:columns:voltages:)``),
    /// measured in `LineResistanceTests` on a 64x64 tile at random conductances 1.5-100 uS with
    /// positive inputs: at 1 ohm per cell and 20 ohm per line the exact column currents are
    /// 21 % below ideal and the model's within 0.53 % of them (RMS 0.24 %); at 2.5 ohm per cell,
    /// 32 % below ideal, within 1.5 % (RMS 0.7 %). The error is second order in the drop: on
    /// an 8x8 tile (3 % drop) it is 0.016 %.
    public func effectiveConductances(_ g: [Double], rows: Int, columns: Int) -> [Double] {
        precondition(g.count == rows * columns, "conductances must be rows x columns")
        let r = wireOhmsPerCell, big = lineOhms
        var out = [Double](repeating: 0, count: g.count)
        // Row drop per volt of the row: R * S_i + r * sum_{m=1..j} suffix_i(m).
        var suffix = [Double](repeating: 0, count: columns + 1)
        for i in 0..<rows {
            let base = i * columns
            suffix[columns] = 0
            for j in stride(from: columns - 1, through: 0, by: -1) { suffix[j] = suffix[j + 1] + g[base + j] }
            var running = big * suffix[0]
            for j in 0..<columns {
                if j > 0 { running += r * suffix[j] }
                out[base + j] = running
            }
        }
        // Column rise per volt of row m: R * C_j + r * [(rows-1-m) * sum_{i<=m} G_ij + sum_{i>m} G_ij (rows-1-i)].
        for j in 0..<columns {
            var total = 0.0, weighted = 0.0
            for i in 0..<rows {
                total += g[i * columns + j]
                weighted += g[i * columns + j] * Double(rows - 1 - i)
            }
            var prefix = 0.0, prefixWeighted = 0.0
            for m in 0..<rows {
                let gm = g[m * columns + j]
                prefix += gm
                prefixWeighted += gm * Double(rows - 1 - m)
                let beyond = weighted - prefixWeighted
                let w = big * total + r * (Double(rows - 1 - m) * prefix + beyond)
                let k = m * columns + j
                out[k] = gm / (1 + out[k] + w)
            }
        }
        return out
    }

    /// The exact column currents (amperes) of a tile with resistive lines, by nodal analysis:
    /// alternating exact solves of every row line (given the column node voltages) and every
    /// column line (given the row node voltages), until no node moves by more than 1e-13 of
    /// the largest input. Slow (tens of sweeps of O(rows x columns) per vector): the reference
    /// the fast model is measured against, not a simulation path.
    ///
    /// - Precondition: both resistances positive.
    public func exactColumnCurrents(conductances g: [Double], rows: Int, columns: Int, voltages: [Double]) -> [Double] {
        precondition(wireOhmsPerCell > 0 && lineOhms > 0, "the exact solve needs positive resistances")
        precondition(g.count == rows * columns && voltages.count == rows, "conductances must be rows x columns, one voltage per row")
        let gw = 1 / wireOhmsPerCell, gl = 1 / lineOhms
        var vr = [Double](repeating: 0, count: g.count)   // row node voltages, row-major
        var vc = [Double](repeating: 0, count: g.count)   // column node voltages, row-major
        for i in 0..<rows { for j in 0..<columns { vr[i * columns + j] = voltages[i] } }
        let scale = max(voltages.map(abs).max() ?? 0, 1e-300)
        let n = max(rows, columns)
        var lower = [Double](repeating: 0, count: n), diagonal = lower, upper = lower, rhs = lower, x = lower
        for _ in 0..<10_000 {
            var moved = 0.0
            // Row i: node j links to j-1 (or the driver through the line) and j+1 by wires, to
            // its column node through the cell.
            for i in 0..<rows {
                for j in 0..<columns {
                    let k = i * columns + j
                    let left = j == 0 ? gl : gw, right = j == columns - 1 ? 0 : gw
                    lower[j] = j == 0 ? 0 : -gw
                    upper[j] = -right
                    diagonal[j] = left + right + g[k]
                    rhs[j] = g[k] * vc[k] + (j == 0 ? gl * voltages[i] : 0)
                }
                Self.solveTridiagonal(lower, diagonal, upper, rhs, into: &x, count: columns)
                for j in 0..<columns {
                    moved = max(moved, abs(x[j] - vr[i * columns + j]))
                    vr[i * columns + j] = x[j]
                }
            }
            // Column j: node i links to i-1 and i+1 by wires; the last row's node reaches the
            // amplifier's virtual ground through the line.
            for j in 0..<columns {
                for i in 0..<rows {
                    let k = i * columns + j
                    let up = i == 0 ? 0 : gw, down = i == rows - 1 ? gl : gw
                    lower[i] = -up
                    upper[i] = i == rows - 1 ? 0 : -gw
                    diagonal[i] = up + down + g[k]
                    rhs[i] = g[k] * vr[k]
                }
                Self.solveTridiagonal(lower, diagonal, upper, rhs, into: &x, count: rows)
                for i in 0..<rows {
                    moved = max(moved, abs(x[i] - vc[i * columns + j]))
                    vc[i * columns + j] = x[i]
                }
            }
            if moved < 1e-13 * scale { break }
        }
        return (0..<columns).map { j in gl * vc[(rows - 1) * columns + j] }
    }

    /// Thomas algorithm for a tridiagonal system of `count` unknowns.
    private static func solveTridiagonal(_ a: [Double], _ b: [Double], _ c: [Double], _ d: [Double],
                                         into x: inout [Double], count n: Int) {
        var cp = [Double](repeating: 0, count: n), dp = cp
        cp[0] = c[0] / b[0]
        dp[0] = d[0] / b[0]
        for k in 1..<n {
            let m = b[k] - a[k] * cp[k - 1]
            cp[k] = c[k] / m
            dp[k] = (d[k] - a[k] * dp[k - 1]) / m
        }
        x[n - 1] = dp[n - 1]
        for k in stride(from: n - 2, through: 0, by: -1) { x[k] = dp[k] - cp[k] * x[k + 1] }
    }
}
