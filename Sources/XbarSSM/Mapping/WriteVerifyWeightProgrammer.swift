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
        var settings = ProgrammingSettings.standard(for: instrument, device: device, tolerance: tolerance)
        // One tile per job: relaxation passes at the end of each would let the tiles programmed
        // first relax while the later ones are programmed (the passes pay off over every tile of
        // one job together), and the read-back that judges a run is the inference's own.
        settings.relaxationPasses = 0
        settings.readBack = false
        let job = ProgrammingJob(targets: ProgrammingTargets(tiles: [(tile, targetSiemens)]), algorithm: algorithm,
                                 settings: settings, device: device, envelope: PulseEnvelope(limits: instrument.limits),
                                 runner: OperationRunner(board: board, journal: journal), store: store, runID: runID)
        guard let report = try job.run().first else {
            return TileProgrammingOutcome(tile: tile.index, cells: 0, cellsInTolerance: 0, pulses: 0)
        }
        return TileProgrammingOutcome(tile: tile.index, cells: report.outcomes.count,
                                      cellsInTolerance: report.count(.converged), pulses: report.pulses.reduce(0, +),
                                      measuredSiemens: report.verifiedSiemens)
    }
}
