import Foundation
import XbarBoard
import XbarInstrument
import XbarStore
import XbarWire

/// Reads the conductances of one tile or of every weight tile (stacked vertically in tile
/// order, the layout `xbar program` takes), logging each read in the run's journal.
public struct ConductanceReader {
    public let instrument: Instrument
    public let runner: OperationRunner

    public init(instrument: Instrument, runner: OperationRunner) {
        self.instrument = instrument
        self.runner = runner
    }

    /// The tiles a read covers: the given one, or every non-volatile tile.
    ///
    /// - Throws: ``ProgrammingError/badTile(_:reason:)`` for a tile the instrument lacks.
    public static func tiles(_ tile: Int?, of instrument: Instrument) throws(ProgrammingError) -> [TileInfo] {
        guard let t = tile else { return instrument.weightTiles }
        guard t >= 0, t <= 255, let info = instrument.tile(UInt8(t)) else {
            throw .badTile(t, reason: "the instrument \(instrument.name) has tiles \(instrument.tiles.map { String($0.index) }.joined(separator: ", "))")
        }
        return [info]
    }

    /// Reads whole tiles; returns their maps stacked vertically, siemens.
    ///
    /// - Parameters:
    ///   - readVolts: read pulse amplitude, volts (checked against the board's limit by the board).
    ///   - averages: reads the board averages per cell.
    ///   - tileRead: called after each tile with the number of tiles read so far (progress).
    ///   - shouldStop: asked before each tile; true stops there with ``JobInterrupted``.
    public func read(tiles: [TileInfo], readVolts: Double, averages: Int,
                     tileRead: ((Int) -> Void)? = nil, shouldStop: (() -> Bool)? = nil) throws -> ConductanceMap {
        var maps: [ConductanceMap] = []
        for info in tiles {
            if shouldStop?() == true { throw JobInterrupted() }
            let op = JournalOperation.read(tile: Int(info.index), cells: nil, rows: Int(info.rows), columns: Int(info.columns),
                                           readVolts: readVolts, averages: averages)
            let (values, _) = try runner.perform(op)
            maps.append(ConductanceMap(rows: Int(info.rows), columns: Int(info.columns), siemens: values))
            tileRead?(maps.count)
        }
        return ConductanceMap.stacked(maps)
    }
}
