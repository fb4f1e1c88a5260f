import XbarBoard
import XbarWire

/// Simulation only: puts targets straight into a simulated board's cells, as if programming had
/// hit them exactly (each cell stays within its own bounds and stuck cells keep their value),
/// then verifies by reading the tile back like a write-verify job's final read.
///
/// It stands for programming where no write-verify job is at hand (benchmarks of inference
/// alone); it leaves out programming error, so results with it are an upper bound on what a
/// write-verified board gives, and say so.
public struct DirectSimulatedProgrammer: WeightProgrammer {
    /// Cells verified within this of their target count as in tolerance, siemens.
    public var toleranceSiemens: Double
    public var readVolts: Double
    public var averages: Int

    public init(toleranceSiemens: Double = 1e-6, readVolts: Double = 0.45, averages: Int = 16) {
        self.toleranceSiemens = toleranceSiemens
        self.readVolts = readVolts
        self.averages = averages
    }

    /// - Throws: `BoardError.fault` (`.badArgument`) when the board is not a ``SimulatedBoard``
    ///   or the tile is not a weight tile; board errors of the verify read.
    public func program(tile: TileInfo, targetSiemens: [Double], on board: any Board) throws -> TileProgrammingOutcome {
        guard let simulated = board as? SimulatedBoard else {
            throw BoardError.fault(BoardFault(code: .badArgument, message: "direct programming needs a simulated board; \(board.backendDescription) needs write-verify"))
        }
        try simulated.setConductances(tile: tile.index, siemens: targetSiemens)
        let measured = try board.readConductances(.tile(tile.index), readVolts: readVolts, averages: averages)
        let ok = zip(measured, targetSiemens).filter { abs($0 - $1) <= toleranceSiemens }.count
        return TileProgrammingOutcome(tile: tile.index, cells: measured.count, cellsInTolerance: ok, pulses: 0, measuredSiemens: measured)
    }
}
