/// What a single-cell read of a passive tile reports under a half-select bias scheme, and the
/// way back from it to the cell's own conductance.
///
/// The selected cell conducts through its two lines (``LineResistance/seriesOhms(row:column:rows:)``)
/// while every other cell of its column, half-selected, adds `ratio` times its conductance:
/// a read's current over its voltage is `G / (1 + G Rs) + ratio * (sum of the column's other
/// cells)`. The model of ``ArrayPeripheryParameters`` and of the simulated board's reads.
public struct SneakPathCorrection: Hashable, Sendable {
    /// A half-selected cell's current over its current at the full read voltage.
    public var ratio: Double
    public var lines: LineResistance
    public var rows: Int
    public var columns: Int

    /// - Precondition: `0 <= ratio < 1` (a half-selected cell carries less than a selected one).
    public init(ratio: Double, lines: LineResistance, rows: Int, columns: Int) {
        precondition(ratio >= 0 && ratio < 1 && rows > 0 && columns > 0, "a sneak ratio in [0, 1) and a tile with cells")
        self.ratio = ratio
        self.lines = lines
        self.rows = rows
        self.columns = columns
    }

    /// Apparent conductance (read current over read voltage) of cell `k` (row-major) for true
    /// conductances `g`, siemens.
    public func apparentSiemens(cell k: Int, of g: [Double]) -> Double {
        let row = k / columns, column = k % columns
        var others = 0.0
        for r in 0..<rows where r != row { others += g[r * columns + column] }
        return g[k] / (1 + g[k] * lines.seriesOhms(row: row, column: column, rows: rows)) + ratio * others
    }

    /// Every cell's conductance from a whole tile's apparent ones (row-major), siemens.
    public func tileSiemens(apparent: [Double]) -> [Double] {
        precondition(apparent.count == rows * columns, "one apparent conductance per cell")
        return cellsSiemens(apparent: apparent, cells: Array(0..<(rows * columns)), rest: apparent)
    }

    /// The conductances of cells read together (`cells`, row-major indices, each once), siemens,
    /// from their apparent ones, given the conductances of the rest of the tile (`rest`,
    /// row-major, siemens; the entries of `cells` are not used).
    ///
    /// The cells read of one column share the sneak current of each other: their apparent
    /// conductances sum to their own sum times `1 - ratio + ratio * count`, plus `count` times
    /// the sneak current of the column's other cells (less the line drops), which gives their
    /// sum and from it each one. (Taking each cell against the others' last values instead
    /// diverges when the ratio times the column's length passes 1.) The line drop is taken from
    /// the previous estimate, three times over (it is a percent or two). A cell whose read says
    /// less than the others carry comes out 0.
    public func cellsSiemens(apparent: [Double], cells: [Int], rest: [Double]) -> [Double] {
        precondition(apparent.count == cells.count && rest.count == rows * columns, "one apparent conductance per cell read, a whole tile beside")
        var read = [Bool](repeating: false, count: rows * columns)
        for k in cells { read[k] = true }
        var others = [Double](repeating: 0, count: columns)
        var count = [Int](repeating: 0, count: columns)
        for k in 0..<(rows * columns) {
            if read[k] { count[k % columns] += 1 } else { others[k % columns] += rest[k] }
        }
        var g = apparent
        for _ in 0..<3 {
            // apparent = G / (1 + G Rs) + s (S - G): with the line drop taken from the last
            // estimate, linear in the column's conductances.
            var shifted = [Double](repeating: 0, count: cells.count)
            var shiftedSum = [Double](repeating: 0, count: columns)
            for (n, k) in cells.enumerated() {
                let rs = lines.seriesOhms(row: k / columns, column: k % columns, rows: rows)
                shifted[n] = apparent[n] + g[n] - g[n] / (1 + g[n] * rs)
                shiftedSum[k % columns] += shifted[n]
            }
            for (n, k) in cells.enumerated() {
                let j = k % columns, m = Double(count[j])
                let sum = (shiftedSum[j] - m * ratio * others[j]) / (1 - ratio + ratio * m)
                g[n] = max((shifted[n] - ratio * (others[j] + sum)) / (1 - ratio), 0)
            }
        }
        return g
    }
}
