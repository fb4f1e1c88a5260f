/// The stuck cells of a whole tile, from the periphery part's patterns: every cell of the tile
/// was driven to its upper or lower bound by strong pulses, twice, and read.
///
/// Stuck cells are a fraction of a percent: the non-volatile part's few dozen sampled cells
/// rarely hold one, so its rates are mostly zero. The periphery tile's thousands of cells see
/// them. A cell driven high that reads on the low side of the tile's split is stuck at its
/// lower bound; driven low and reading high, stuck at its upper bound. A cell is counted for
/// each kind only if some pattern drove it the way that shows it.
///
/// Tiles of 1T1R cells only: on a passive tile the half-selected neighbours of every prepared
/// cell are disturbed, so a cell that does not read as driven need not be stuck.
public struct StuckCellSurvey: Hashable, Sendable {
    /// Cells some pattern drove high (where a cell stuck low shows) and low.
    public var drivenHigh: Int
    public var drivenLow: Int
    /// Cells found stuck at each bound, row-major indices of the tile.
    public var stuckLow: [Int]
    public var stuckHigh: [Int]

    public var atMinRate: Double { drivenHigh > 0 ? Double(stuckLow.count) / Double(drivenHigh) : 0 }
    public var atMaxRate: Double { drivenLow > 0 ? Double(stuckHigh.count) / Double(drivenLow) : 0 }

    /// Poisson standard error of a rate of `count` in `seen` (one count when none was found,
    /// so that zero is not reported as exact).
    static func uncertainty(count: Int, seen: Int) -> Double {
        seen > 0 ? Double(max(count, 1)).squareRoot() / Double(seen) : .infinity
    }
    public var atMinUncertainty: Double { Self.uncertainty(count: stuckLow.count, seen: drivenHigh) }
    public var atMaxUncertainty: Double { Self.uncertainty(count: stuckHigh.count, seen: drivenLow) }

    /// Each cell's reading on a scale where its column's cells driven low read 0 and those
    /// driven high read 1 (medians, robust to the few stuck ones): a column's sneak current adds
    /// to every cell of the column, and its line drop scales them, by amounts that change from
    /// column to column and pattern to pattern. A column without cells of both kinds uses the
    /// tile's medians.
    static func levels(_ g: [Double], pattern: [Bool], rows: Int, columns: Int) -> [Double] {
        func median(_ x: [Double]) -> Double? { x.isEmpty ? nil : x.sorted()[x.count / 2] }
        let tileLow = median(g.indices.filter { !pattern[$0] }.map { g[$0] }) ?? 0
        let tileHigh = median(g.indices.filter { pattern[$0] }.map { g[$0] }) ?? 1
        var u = [Double](repeating: 0, count: g.count)
        for j in 0..<columns {
            let cells = (0..<rows).map { $0 * columns + j }
            var lo = median(cells.filter { !pattern[$0] }.map { g[$0] }) ?? tileLow
            var hi = median(cells.filter { pattern[$0] }.map { g[$0] }) ?? tileHigh
            if hi <= lo { (lo, hi) = (tileLow, tileHigh) }
            for k in cells { u[k] = hi > lo ? (g[k] - lo) / (hi - lo) : 0 }
        }
        return u
    }

    /// - Returns: nil when the measurement does not hold one read map per pattern.
    public init?(_ m: PeripheryMeasurement, plan: CalibrationPlan.Periphery) {
        let n = m.rows * m.columns
        guard !m.patterns.isEmpty, m.patterns.count == plan.patterns.count,
              plan.patterns.allSatisfy({ $0.count == n }) else { return nil }
        var high = [Bool](repeating: false, count: n), low = high
        var readsHigh = [Bool](repeating: false, count: n), readsLow = high
        for (t, pattern) in plan.patterns.enumerated() {
            let g = m.readSiemens(pattern: t)
            guard g.count == n else { return nil }
            let u = Self.levels(g, pattern: pattern, rows: m.rows, columns: m.columns)
            for i in 0..<n {
                // A stuck cell sits at its bound (0 or 1 on this scale, give or take the spread
                // of the bounds); a weak cell the preparation moved only part of the way is not
                // counted as stuck.
                if pattern[i] {
                    high[i] = true
                    if u[i] >= 0.25 { readsHigh[i] = true }
                } else {
                    low[i] = true
                    if u[i] <= 0.75 { readsLow[i] = true }
                }
            }
        }
        drivenHigh = high.filter { $0 }.count
        drivenLow = low.filter { $0 }.count
        // Driven high and never read high; driven low and never read low.
        stuckLow = (0..<n).filter { high[$0] && !readsHigh[$0] }
        stuckHigh = (0..<n).filter { low[$0] && !readsLow[$0] }
    }
}
