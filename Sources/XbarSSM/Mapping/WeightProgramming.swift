import XbarBoard
import XbarWire

/// How one tile reached its targets.
public struct TileProgrammingOutcome: Hashable, Sendable {
    public var tile: UInt8
    public var cells: Int
    /// Cells whose verified conductance is within the programmer's tolerance of its target.
    public var cellsInTolerance: Int
    /// Pulses applied over the tile.
    public var pulses: Int
    /// The conductances the programmer verified last, row-major, siemens (empty when unknown).
    public var measuredSiemens: [Double]

    public init(tile: UInt8, cells: Int, cellsInTolerance: Int, pulses: Int, measuredSiemens: [Double] = []) {
        self.tile = tile
        self.cells = cells
        self.cellsInTolerance = cellsInTolerance
        self.pulses = pulses
        self.measuredSiemens = measuredSiemens
    }

    /// Fraction of cells in tolerance.
    public var yield: Double { cells > 0 ? Double(cellsInTolerance) / Double(cells) : 0 }
}

/// Something that write-verifies a tile's target conductances onto a board: the lab's
/// write-verify job, handed in by whoever runs inference, so that inference never decides
/// how cells are programmed.
public protocol WeightProgrammer {
    /// Programs one tile. `targetSiemens` is row-major, one value per cell.
    ///
    /// - Throws: whatever the board or the job throws.
    func program(tile: TileInfo, targetSiemens: [Double], on board: any Board) throws -> TileProgrammingOutcome
}

/// Programs a weight map onto a board, tile by tile.
public enum WeightProgramming {
    /// Programs every tile of the map that some placement uses (untouched tiles are skipped).
    ///
    /// - Throws: whatever the programmer throws.
    public static func program(_ map: WeightMap, on board: any Board, with programmer: any WeightProgrammer) throws -> [TileProgrammingOutcome] {
        let used = Set(map.placements.map(\.tile))
        return try map.tiles.filter { used.contains(Int($0.tile.index)) }.map {
            try programmer.program(tile: $0.tile, targetSiemens: $0.siemens, on: board)
        }
    }
}
