import XbarDevice
import XbarWire

/// The parameters one cell of a simulated board drew (simulation only).
public enum DrawnCellParameters: Hashable, Sendable {
    case nonVolatile(NonVolatileCellDraw)
    case shortTermMemory(ShortTermMemoryCellDraw)

    /// The non-volatile draw, or nil for an STM cell.
    public var nonVolatile: NonVolatileCellDraw? {
        if case .nonVolatile(let d) = self { return d }
        return nil
    }

    /// The STM draw, or nil for a non-volatile cell.
    public var shortTermMemory: ShortTermMemoryCellDraw? {
        if case .shortTermMemory(let d) = self { return d }
        return nil
    }
}

/// Ground truth and time control. Simulation only: no real board can offer these, and jobs
/// must not rely on them; tests and benchmarks use them to check what jobs measured.
///
/// Every accessor requires an existing tile and a cell inside it (a precondition).
extension SimulatedBoard {
    /// Board time, nanoseconds since the last RESET.
    public var boardTimeNanoseconds: UInt64 { clock.boardNanoseconds }

    /// Advances board time without doing anything (the host waiting). Seconds, at least 0.
    public func advanceTime(seconds: Double) {
        precondition(seconds >= 0, "time only moves forward")
        clock.advance(by: seconds.wholeNanoseconds)
    }

    /// A cell's true conductance at the current board time, siemens, without read noise.
    /// Looking does not change the cell.
    public func trueConductance(tile: UInt8, row: Int, column: Int) -> Double {
        let (t, index) = locate(tile, row, column)
        switch t {
        case .nonVolatile(_, let array): return array.conductance(index, at: clock.seconds)
        case .shortTermMemory(_, let array): return array.conductance(index, at: clock.seconds)
        }
    }

    /// Whether a non-volatile cell is stuck (STM cells never are).
    public func isStuck(tile: UInt8, row: Int, column: Int) -> Bool {
        cellParameters(tile: tile, row: row, column: column).nonVolatile.map { $0.stuck != .none } ?? false
    }

    /// The parameters the cell drew from its population.
    public func cellParameters(tile: UInt8, row: Int, column: Int) -> DrawnCellParameters {
        let (t, index) = locate(tile, row, column)
        switch t {
        case .nonVolatile(_, let array): return .nonVolatile(array.draws[index])
        case .shortTermMemory(_, let array): return .shortTermMemory(array.cells[index].drawn)
        }
    }

    /// Sets the conductances of a non-volatile tile (row-major, siemens) as if they had just
    /// been programmed: how a simulation continues from recorded conductances (a shadow map).
    /// Values are kept within each cell's own bounds; stuck cells keep their stuck value.
    ///
    /// - Throws: `BoardError.fault` (`.badArgument`) for an unknown or STM tile or a count
    ///   that is not the tile's cell count.
    public func setConductances(tile index: UInt8, siemens: [Double]) throws {
        guard case .nonVolatile(let info, let array) = try tile(index) else {
            throw badArgument("tile \(index) holds STM nodes; only non-volatile conductances can be set")
        }
        guard siemens.count == info.cellCount else {
            throw badArgument("tile \(index) has \(info.cellCount) cells, \(siemens.count) conductances given")
        }
        for (i, g) in siemens.enumerated() { array.setConductance(i, siemens: g, at: clock.seconds) }
    }

    func locate(_ tile: UInt8, _ row: Int, _ column: Int) -> (SimulatedTile, Int) {
        guard let t = tiles[Int(tile)] else { preconditionFailure("tile \(tile) does not exist") }
        let info = t.info
        precondition(row >= 0 && row < Int(info.rows) && column >= 0 && column < Int(info.columns),
                     "cell \(row):\(column) is outside the \(info.rows)x\(info.columns) tile \(tile)")
        return (t, row * Int(info.columns) + column)
    }
}
