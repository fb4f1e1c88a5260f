import XbarDevice

/// The conductances a job accepts as targets.
///
/// Each cell has its own bounds (device-to-device spread around the population means), and the
/// soft-bounded step law only approaches a bound asymptotically. Targets are therefore kept
/// three device-to-device standard deviations inside the mean bounds: below `gMax * (1 - 3 s)`
/// and above `gMin * (1 + 3 s)`. Then fewer than one cell in ten thousand has its own bound on
/// the wrong side of a target (0.13 % of cells have a bound beyond 3 sigma, and only targets
/// at the very edge are affected), so a cell that cannot reach its target is stuck, not
/// merely unlucky.
public struct ProgrammableRange: Hashable, Sendable {
    public var lowSiemens: Double
    public var highSiemens: Double
    /// Mean `gMax` minus mean `gMin`: what percentage tolerances are relative to.
    public var nominalRangeSiemens: Double

    public init(device: NonVolatileCellParameters) {
        lowSiemens = device.gMinSiemens.mean * (1 + 3 * device.gMinSiemens.spread)
        highSiemens = device.gMaxSiemens.mean * (1 - 3 * device.gMaxSiemens.spread)
        nominalRangeSiemens = device.gMaxSiemens.mean - device.gMinSiemens.mean
    }

    public init(lowSiemens: Double, highSiemens: Double, nominalRangeSiemens: Double) {
        self.lowSiemens = lowSiemens
        self.highSiemens = highSiemens
        self.nominalRangeSiemens = nominalRangeSiemens
    }

    /// Refuses the first cell that is not a finite number inside the range.
    ///
    /// - Parameters:
    ///   - rowOffset: added to row numbers in messages (a tile's rows within a stacked file).
    /// - Throws: ``ProgrammingError/badTarget(path:row:column:value:reason:)`` naming the cell.
    public func check(_ map: ConductanceMap, path: String, rowOffset: Int = 0) throws(ProgrammingError) {
        for r in 0..<map.rows {
            for c in 0..<map.columns {
                let v = map[r, c]
                if v.isNaN { throw .badTarget(path: path, row: r + rowOffset, column: c, value: v, reason: "is not a number") }
                if !v.isFinite { throw .badTarget(path: path, row: r + rowOffset, column: c, value: v, reason: "is not finite") }
                if v < lowSiemens || v > highSiemens {
                    // Conductances above a millisiemens are no memristor's: the map is in microsiemens.
                    let hint = v > 1e-3 ? "; the map's values look like microsiemens: multiply by 1e-6?" : ""
                    throw .badTarget(path: path, row: r + rowOffset, column: c, value: v,
                                     reason: "is outside the programmable range \(lowSiemens)...\(highSiemens) S (values are in siemens)\(hint)")
                }
            }
        }
    }
}
