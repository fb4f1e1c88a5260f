import XbarBoard
import XbarDevice
import XbarInstrument
import XbarJobs
import XbarStore
import XbarWire

/// The lab's write-verify job as the programmer of a model's weights: the same algorithms,
/// batching and per-cell outcomes as `xbar program`.
public struct WriteVerifyWeightProgrammer: WeightProgrammer {
    public var instrument: Instrument
    /// The device model the algorithm plans with: a calibration's, or the instrument's defaults.
    public var device: NonVolatileCellParameters
    public var algorithm: ProgrammingAlgorithmKind
    public var tolerance: Tolerance
    /// The job's journal: the run store's for a recorded run, or one that keeps nothing.
    public var journal: any OperationJournal
    /// Where each tile's outcomes and shadow map go (the run of `journal`), so that the chip's
    /// twin can be built from them; nil keeps them in memory only.
    public var store: RunStore?
    public var runID: Int64?

    public init(instrument: Instrument, device: NonVolatileCellParameters? = nil,
                algorithm: ProgrammingAlgorithmKind = .adaptive, tolerance: Tolerance = .percentOfRange(1),
                journal: any OperationJournal = DiscardingJournal(), store: RunStore? = nil, runID: Int64? = nil) {
        self.instrument = instrument
        self.device = device ?? instrument.device.nonVolatile
        self.algorithm = algorithm
        self.tolerance = tolerance
        self.journal = journal
        self.store = store
        self.runID = runID
    }

    public func program(tile: TileInfo, targetSiemens: [Double], on board: any Board) throws -> TileProgrammingOutcome {
        guard let report = try job(ProgrammingTargets(tiles: [(tile, targetSiemens)]), on: board).run().first else {
            return TileProgrammingOutcome(tile: tile.index, cells: 0, cellsInTolerance: 0, pulses: 0)
        }
        return TileProgrammingOutcome(tile: tile.index, cells: report.outcomes.count,
                                      cellsInTolerance: report.count(.converged), pulses: report.pulses.reduce(0, +),
                                      measuredSiemens: report.verifiedSiemens)
    }

    /// Write-verifies only `cells` of the map's tiles back to their targets, in one job over the
    /// tiles named (how a chip is refreshed before use): the job reads and pulses those cells
    /// alone, and a cell its first read finds in tolerance gets no pulse.
    ///
    /// - Parameter cells: row-major cell indices per tile index.
    /// - Returns: one report per tile named, whose ``TileReport/programmedCells`` are `cells`.
    /// - Throws: whatever the board, the store or the job throws.
    public func touchUp(_ map: WeightMap, cells: [UInt8: [Int]], on board: any Board) throws -> [TileReport] {
        let tiles = map.tiles.filter { cells[$0.tile.index]?.isEmpty == false }.map { ($0.tile, $0.siemens) }
        guard !tiles.isEmpty else { return [] }
        let job = try job(ProgrammingTargets(tiles: tiles), on: board)
        job.cells = cells
        return try job.run()
    }

    private func job(_ targets: ProgrammingTargets, on board: any Board) throws -> ProgrammingJob {
        var settings = ProgrammingSettings.standard(for: instrument, device: device, tolerance: tolerance)
        // One tile per job: relaxation passes at the end of each would let the tiles programmed
        // first relax while the later ones are programmed (the passes pay off over every tile of
        // one job together), and the read-back that judges a run is the inference's own.
        settings.relaxationPasses = 0
        settings.readBack = false
        return ProgrammingJob(targets: targets, algorithm: algorithm, settings: settings, device: device,
                              envelope: PulseEnvelope(limits: instrument.limits),
                              runner: OperationRunner(board: board, journal: journal), store: store, runID: runID)
    }
}
