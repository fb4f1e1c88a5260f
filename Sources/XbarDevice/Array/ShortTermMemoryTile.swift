/// A tile of STM (volatile) cells: each cell's drawn parameters and state, row-major.
///
/// STM nodes are driven individually, so pulses do not disturb their neighbours.
public final class ShortTermMemoryTile {
    public let rows: Int
    public let columns: Int
    public let parameters: ShortTermMemoryCellParameters
    public private(set) var cells: [ShortTermMemoryCell]

    /// - Parameter cellKey: the key of the cell's own random stream, by (row, column).
    public init(rows: Int, columns: Int, parameters: ShortTermMemoryCellParameters,
                cellKey: (Int, Int) -> UInt64) {
        self.rows = rows
        self.columns = columns
        self.parameters = parameters
        var cells: [ShortTermMemoryCell] = []
        cells.reserveCapacity(rows * columns)
        for r in 0..<rows {
            for c in 0..<columns {
                cells.append(ShortTermMemoryCell(drawn: ShortTermMemoryCellDraw(drawingFrom: parameters, key: cellKey(r, c))))
            }
        }
        self.cells = cells
    }

    /// Conductance of cell `index` (row-major) at time `t` seconds, siemens, without read noise.
    public func conductance(_ index: Int, at t: Double) -> Double {
        cells[index].conductance(at: t)
    }

    /// Applies one pulse to cell `index`; returns whether the compliance current limited it.
    public func pulse(_ index: Int, amplitudeVolts: Double, widthSeconds: Double, at t: Double,
                      complianceAmperes: Double, generator: inout Xoshiro256StarStar) -> Bool {
        cells[index].pulse(amplitudeVolts: amplitudeVolts, widthSeconds: widthSeconds, at: t, parameters: parameters,
                           maximumConductanceSiemens: complianceAmperes / abs(amplitudeVolts), generator: &generator)
    }

    /// One read of cell `index`: current in amperes with read noise; disturbs the cell slightly.
    public func read(_ index: Int, readVolts: Double, at t: Double, generator: inout Xoshiro256StarStar) -> Double {
        cells[index].read(readVolts: readVolts, at: t, parameters: parameters, generator: &generator)
    }
}
