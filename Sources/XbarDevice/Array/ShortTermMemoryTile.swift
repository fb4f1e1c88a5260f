/// A tile of STM (volatile) cells: each cell's drawn parameters and state, row-major.
///
/// Each row is one device population (a board may build its rows from different device
/// classes); every cell draws from its row's population with its own random stream.
/// STM nodes are driven individually, so pulses do not disturb their neighbours.
public final class ShortTermMemoryTile {
    public let rows: Int
    public let columns: Int
    /// The population of each row.
    public let rowParameters: [ShortTermMemoryCellParameters]
    public private(set) var cells: [ShortTermMemoryCell]

    /// A tile whose rows are all one population.
    ///
    /// - Parameter cellKey: the key of the cell's own random stream, by (row, column).
    public convenience init(rows: Int, columns: Int, parameters: ShortTermMemoryCellParameters,
                            cellKey: (Int, Int) -> UInt64) {
        self.init(columns: columns, rowParameters: Array(repeating: parameters, count: rows), cellKey: cellKey)
    }

    /// A tile with one population per row (`rowParameters.count` rows).
    ///
    /// - Parameter cellKey: the key of the cell's own random stream, by (row, column); the
    ///   draws do not depend on the population, so a cell keeps its stream whatever its row is.
    public init(columns: Int, rowParameters: [ShortTermMemoryCellParameters], cellKey: (Int, Int) -> UInt64) {
        self.rows = rowParameters.count
        self.columns = columns
        self.rowParameters = rowParameters
        var cells: [ShortTermMemoryCell] = []
        cells.reserveCapacity(rows * columns)
        for (r, parameters) in rowParameters.enumerated() {
            for c in 0..<columns {
                cells.append(ShortTermMemoryCell(drawn: ShortTermMemoryCellDraw(drawingFrom: parameters, key: cellKey(r, c))))
            }
        }
        self.cells = cells
    }

    /// The population of cell `index` (row-major).
    public func parameters(ofCell index: Int) -> ShortTermMemoryCellParameters {
        rowParameters[index / columns]
    }

    /// Conductance of cell `index` (row-major) at time `t` seconds, siemens, without read noise.
    public func conductance(_ index: Int, at t: Double) -> Double {
        cells[index].conductance(at: t)
    }

    /// Applies one pulse to cell `index`; returns whether the compliance current limited it.
    public func pulse(_ index: Int, amplitudeVolts: Double, widthSeconds: Double, at t: Double,
                      complianceAmperes: Double, generator: inout Xoshiro256StarStar) -> Bool {
        cells[index].pulse(amplitudeVolts: amplitudeVolts, widthSeconds: widthSeconds, at: t, parameters: parameters(ofCell: index),
                           maximumConductanceSiemens: complianceAmperes / abs(amplitudeVolts), generator: &generator)
    }

    /// One read of cell `index`: current in amperes with read noise; disturbs the cell slightly.
    public func read(_ index: Int, readVolts: Double, at t: Double, generator: inout Xoshiro256StarStar) -> Double {
        cells[index].read(readVolts: readVolts, at: t, parameters: parameters(ofCell: index), generator: &generator)
    }
}
